// The field app's screens (docs/field-app.md): log in; the units of the engineer's provinces
// with a search and "nearest first"; a unit with its visits and open obstacles; a new unit
// (with a warning when a unit already loaded looks like the same factory); a visit filled
// from its template version; the outbox and the notices; visits sent back, to revise.
// Routing by the address's #fragment, so every screen works offline from the cached shell.

import { all, get, openDb, readState, req, tx } from "./db.js";
import { el, visitForm } from "./form.js";
import { Device, NeedsLogin, Offline } from "./protocol.js";
import { digitsOnly, fold, jalaliDay, jalaliDayTime, persianDigits } from "./text.js";

const STATUS = { active: "فعال", semi_active: "نیمه‌فعال", stalled: "راکد", closed: "تعطیل" };
const RESULT = { applied: "ثبت شد", redirected: "ثبت شد (واحد ادغام شده بود)", conflict: "ثبت شد، با تعارض",
  rejected: "پذیرفته نشد", duplicate: "قبلاً رسیده بود" };
const TYPE = { create_unit: "واحد تازه", update_unit: "ویرایش واحد", create_visit: "بازدید", revise_visit: "بازبینی بازدید" };
const FIELD = { name: "نام", province_id: "استان", park_id: "شهرک", national_id: "شناسه ملی", phone: "تلفن", owner: "مالک",
  activity: "فعالیت", status: "وضعیت", employees: "کارکنان", address: "نشانی", location: "موقعیت" };
const LEGAL_WORDS = new Set(["شرکت", "صنایع", "تولیدی", "کارخانه", "مجتمع", "سهامی", "خاص", "عام", "با", "مسئولیت",
  "محدود", "گروه", "صنعتی", "و"]);

const main = () => document.getElementById("main");
const app = { db: null, device: null, unitsCache: null };

function say(text, kind = "info") {
  app.saidAt = Date.now();
  const box = document.getElementById("flash");
  box.textContent = text;
  box.className = `flash flash-${kind}`;
  box.hidden = !text;
}

function show(...nodes) {
  main().replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  main().focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

const go = (hash) => { location.hash = hash; };

// --- reading the local store --------------------------------------------------------------

async function reference(kind) {
  const rows = await tx(app.db, ["reference"], "readonly", (s) => all(s.reference));
  return rows.filter((r) => r.kind === kind).map((r) => r.data);
}

async function loadUnits() {
  if (!app.unitsCache) {
    const [rows, parks] = await Promise.all([tx(app.db, ["units"], "readonly", (s) => all(s.units)), reference("parks")]);
    const parkName = new Map(parks.map((p) => [p.id, p.name]));
    app.unitsCache = rows.map((r) => ({ ...r.data, pending: r.pending, park: parkName.get(r.data.park_id) || "",
      key: r.key ?? fold(r.data.name) }));
  }
  return app.unitsCache;
}

function unitsChanged() { app.unitsCache = null; }

async function templateFor(ref) {
  const templates = await reference("templates");
  if (ref) return templates.find((t) => t.code === ref.code && t.version === ref.version)?.definition || null;
  const published = templates.filter((t) => t.status === "published").sort((a, b) => b.version - a.version);
  return published.find((t) => t.code === "diagnosis")?.definition || published[0]?.definition || null;
}

async function taxonomy() {
  const rows = await reference("taxonomy");
  return rows[0]?.taxonomy || { areas: [], severities: [], responsible_bodies: [] };
}

async function pendingCount() {
  return tx(app.db, ["outbox", "photos"], "readonly", async (s) => {
    const photos = await all(s.photos);
    return { mutations: (await all(s.outbox)).length, photos: photos.filter((p) => p.state === "pending").length };
  });
}

// --- the header: network, what is waiting, sync -------------------------------------------

async function drawStatus() {
  const { mutations, photos } = await pendingCount();
  const net = document.getElementById("net");
  net.textContent = navigator.onLine ? "آنلاین" : "بدون اتصال";
  net.className = navigator.onLine ? "net online" : "net offline";
  const badge = document.getElementById("waiting");
  const waiting = mutations + photos;
  badge.textContent = waiting ? persianDigits(waiting) : "";
  badge.hidden = !waiting;
  badge.title = `${persianDigits(mutations)} مورد و ${persianDigits(photos)} عکس هنوز ارسال نشده`;
}

async function sync(quiet = false) {
  const button = document.getElementById("sync");
  // Busy before the first await, so whoever tapped sees the sync under way at once.
  button.disabled = true;
  button.classList.add("busy");
  if (!(await app.device.user())) {
    button.disabled = false;
    button.classList.remove("busy");
    return null;
  }
  try {
    const done = await app.device.sync();
    unitsChanged();
    if (!quiet) say(`همگام شد: ${persianDigits(done.pushed)} مورد ارسال و ${persianDigits(done.uploads.done)} عکس فرستاده شد.`, "ok");
    return done;
  } catch (error) {
    if (error instanceof NeedsLogin) {
      say("برای ادامه دوباره وارد شوید؛ چیزی از دست نمی‌رود.", "error");
      go("#/login");
    } else if (error instanceof Offline) {
      if (!quiet) say("اتصال برقرار نیست؛ همه چیز روی گوشی نگه داشته می‌شود و بعداً ارسال می‌شود.", "info");
    } else {
      say(`خطا در همگام‌سازی: ${error.message}`, "error");
    }
    return null;
  } finally {
    await drawStatus();
    // Show what the sync brought, except on a form being filled (it would lose the typing).
    const screen = location.hash.replace(/^#\/?/, "").split("/")[0] || "units";
    if (["units", "unit", "outbox", "returned"].includes(screen)) await route();
    button.disabled = false;
    button.classList.remove("busy");
  }
}

// --- screens ------------------------------------------------------------------------------

function screenLogin() {
  const username = el("input", { name: "username", autocomplete: "username", dir: "ltr", required: true });
  const password = el("input", { name: "password", type: "password", autocomplete: "current-password", dir: "ltr",
    required: true });
  const form = el("form", { class: "card stack", id: "login", onsubmit: async (e) => {
    e.preventDefault();
    say("");
    try {
      await app.device.login(username.value.trim(), password.value);
      if (navigator.storage?.persist) await navigator.storage.persist();
      say("وارد شدید. فهرست واحدها دریافت می‌شود…", "ok");
      await sync(true);
      go("#/units");
    } catch (error) {
      say(error instanceof Offline ? "برای نخستین ورود اتصال لازم است." : "نام کاربری یا گذرواژه درست نیست.", "error");
    }
  } },
  el("h1", {}, "ورود کارشناس"),
  el("label", { class: "field" }, el("span", {}, "نام کاربری"), username),
  el("label", { class: "field" }, el("span", {}, "گذرواژه"), password),
  el("button", { type: "submit", class: "primary" }, "ورود"),
  el("p", { class: "muted" }, "پس از یک بار ورود، برنامه بدون اینترنت هم کار می‌کند."));
  show(form);
}

function distance(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}

export function searchUnits(units, query, here = null, limit = 50) {
  const key = fold(query);
  let found = key ? units.filter((u) => u.key.includes(key)) : units.slice();
  if (here) {
    found = found.map((u) => ({ u, d: u.location ? distance(here, u.location) : Infinity }))
      .sort((a, b) => a.d - b.d).map(({ u, d }) => ({ ...u, distance: d }));
  }
  return { total: found.length, items: found.slice(0, limit) };
}

function unitRow(u) {
  return el("a", { href: `#/unit/${u.id}`, class: "item unit-item", "data-unit": u.id },
    el("strong", {}, u.name),
    el("span", { class: "muted" }, [u.park, STATUS[u.status] || ""].filter(Boolean).join(" · ")),
    u.distance !== undefined && u.distance !== Infinity ? el("span", { class: "badge" }, `${persianDigits(u.distance.toFixed(1))} کیلومتر`) : null,
    u.pending ? el("span", { class: "badge pending" }, "ارسال نشده") : null);
}

async function screenUnits() {
  const units = await loadUnits();
  const search = el("input", { type: "search", id: "search", placeholder: "جست‌وجوی نام واحد…", autocomplete: "off" });
  const list = el("div", { class: "list", id: "unit-list" });
  const count = el("p", { class: "muted", id: "unit-count" });
  let here = null;
  let limit = 50;
  const draw = () => {
    const { total, items } = searchUnits(units, search.value, here, limit);
    count.textContent = `${persianDigits(total)} واحد${search.value ? " یافت شد" : ""}`;
    list.replaceChildren(...items.map(unitRow),
      total > items.length ? el("button", { class: "small", onclick: () => { limit += 100; draw(); } }, "بیشتر") : "");
    if (!units.length) list.replaceChildren(el("p", { class: "empty" }, "هنوز واحدی روی این گوشی نیست. یک بار همگام کنید."));
  };
  // The query outlives a redraw (a sync finishing redraws this screen) and a visit to a unit.
  search.value = app.unitQuery || "";
  search.addEventListener("input", () => { app.unitQuery = search.value; limit = 50; draw(); });
  const nearest = el("button", { class: "small", id: "nearest", onclick: () => {
    nearest.textContent = "در حال یافتن موقعیت…";
    navigator.geolocation.getCurrentPosition((p) => {
      here = { lat: p.coords.latitude, lon: p.coords.longitude };
      nearest.textContent = "نزدیک‌ترین‌ها ✓";
      draw();
    }, () => { nearest.textContent = "موقعیت در دسترس نیست"; }, { timeout: 15000 });
  } }, "نزدیک‌ترین‌ها اول");
  draw();
  show(el("div", { class: "toolbar" }, search, nearest), count, list);
  search.focus();
}

async function screenUnit(unitId) {
  const resolved = await tx(app.db, ["redirects"], "readonly", (s) => app.device.redirected(s, unitId));
  if (resolved !== unitId) return go(`#/unit/${resolved}`);
  const [row, visits, obstacles, history] = await tx(app.db, ["units", "visits", "obstacles", "history"], "readonly",
    async (s) => [await get(s.units, unitId), await all(s.visits), await all(s.obstacles), await get(s.history, unitId)]);
  if (!row) return show(el("p", { class: "empty" }, "این واحد روی گوشی نیست."));
  const u = row.data;
  const park = (await reference("parks")).find((p) => p.id === u.park_id);
  const province = (await reference("provinces")).find((p) => p.id === u.province_id);
  const mine = visits.map((v) => v.data).filter((v) => v.unit_id === unitId)
    .sort((a, b) => String(b.observed_at || "").localeCompare(String(a.observed_at || "")));
  const open = obstacles.filter((o) => o.unit_id === unitId && o.status === "open");
  const facts = [["استان", province?.name], ["شهرک", park?.name], ["وضعیت", STATUS[u.status]],
    ["کارکنان", u.employees !== null && u.employees !== undefined ? persianDigits(u.employees) : null],
    ["مالک", u.owner], ["تلفن", u.phone ? persianDigits(u.phone) : null], ["شناسه ملی", u.national_id ? persianDigits(u.national_id) : null],
    ["فعالیت", u.activity], ["نشانی", u.address]].filter(([, v]) => v);
  const others = (history?.items || []).filter((h) => !mine.some((m) => m.id === h.visit_id));
  show(
    el("section", { class: "card" }, el("h1", {}, u.name),
      row.pending ? el("p", { class: "badge pending" }, "تغییرات ارسال نشده دارد") : null,
      el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("div", { class: "actions" },
        el("a", { class: "button primary", href: `#/visit/${unitId}`, id: "new-visit" }, "ثبت بازدید"),
        el("a", { class: "button", href: `#/edit/${unitId}` }, "ویرایش واحد"))),
    el("section", { class: "card" }, el("h2", {}, "موانع باز"),
      open.length ? el("ul", {}, open.map((o) => el("li", {}, o.description, el("span", { class: "muted" }, ` (${o.group})`))))
        : el("p", { class: "muted" }, "مانع بازی ثبت نشده.")),
    el("section", { class: "card", id: "unit-visits" }, el("h2", {}, "بازدیدها"),
      mine.length || others.length ? el("ul", { class: "visits" },
        mine.map((v) => el("li", {}, jalaliDay(v.observed_at) || "—", " · ",
          v.review_state ? reviewLabel(v.review_state) : (v.sent ? "ارسال شد" : "ارسال نشده"))),
        others.map((h) => el("li", { class: "other" }, jalaliDay(h.observed_at), " · ", STATUS[h.status] || "",
          " · ", reviewLabel(h.review_state), " · کارشناس دیگر")))
        : el("p", { class: "muted" }, "بازدیدی ثبت نشده.")));
  if (navigator.onLine && row.server) refreshHistory(unitId);
}

function reviewLabel(state) {
  return { submitted: "در انتظار بررسی", approved: "تأیید شد", rejected: "رد شد", returned: "برگشت برای اصلاح" }[state] || state;
}

async function refreshHistory(unitId) {
  try {
    const { status, body } = await app.device.request("GET", `/api/v1/units/${unitId}/history`);
    if (status === 200) {
      await tx(app.db, ["history"], "readwrite", (s) => req(s.history.put({ unit_id: unitId, items: body.items })));
      const before = document.querySelectorAll("#unit-visits li").length;
      if (body.items.length > before && location.hash === `#/unit/${unitId}`) screenUnit(unitId);
    }
  } catch (_) { /* offline: the cached history stays */ }
}

// Units already on the phone that look like the one being registered.
export function lookalikes(units, fields) {
  const words = (name) => new Set(fold(name).split(" ").filter((w) => w && !LEGAL_WORDS.has(w)));
  const mine = words(fields.name);
  const id = digitsOnly(fields.national_id || "");
  const phone = digitsOnly(fields.phone || "").slice(-8);
  return units.filter((u) => {
    if (u.province_id !== fields.province_id) return false;
    if (id.length >= 10 && digitsOnly(u.national_id || "") === id) return true;
    if (phone.length === 8 && digitsOnly(u.phone || "").slice(-8) === phone) return true;
    const theirs = words(u.name);
    if (!mine.size || !theirs.size) return false;
    const shared = [...mine].filter((w) => theirs.has(w) || [...theirs].some((t) => near(w, t))).length;
    return shared / Math.min(mine.size, theirs.size) >= 0.66;
  }).slice(0, 5);
}

function near(a, b) {
  if (Math.min(a.length, b.length) < 4 || Math.abs(a.length - b.length) > 1) return false;
  let edits = 0;
  for (let i = 0, j = 0; i < a.length || j < b.length;) {
    if (a[i] === b[j]) { i += 1; j += 1; continue; }
    edits += 1;
    if (edits > 1) return false;
    if (a.length > b.length) i += 1; else if (b.length > a.length) j += 1; else { i += 1; j += 1; }
  }
  return true;
}

async function unitFieldsForm(initial, onsubmit, submitLabel) {
  const user = await app.device.user();
  const provinces = (await reference("provinces")).filter((p) => user.role === "admin" || user.provinces.includes(p.id));
  const parks = await reference("parks");
  const input = (name, attrs = {}) => el("input", { name, value: initial[name] ?? "", ...attrs });
  const province = el("select", { name: "province_id", required: true },
    provinces.map((p) => el("option", { value: p.id, selected: initial.province_id === p.id }, p.name)));
  const park = el("select", { name: "park_id" });
  const fillParks = () => park.replaceChildren(el("option", { value: "" }, "— بدون شهرک —"),
    ...parks.filter((p) => p.province_id === Number(province.value))
      .map((p) => el("option", { value: p.id, selected: initial.park_id === p.id }, p.name)));
  province.addEventListener("change", fillParks);
  fillParks();
  const status = el("select", { name: "status" }, el("option", { value: "" }, "—"),
    Object.entries(STATUS).map(([v, t]) => el("option", { value: v, selected: initial.status === v }, t)));
  const where = { value: initial.location || null };
  const coords = el("span", { class: where.value ? "coords" : "muted", dir: "ltr" },
    where.value ? persianDigits(`${where.value.lat.toFixed(5)}, ${where.value.lon.toFixed(5)}`) : "ثبت نشده");
  const form = el("form", { class: "card stack", id: "unit-form", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const fields = {};
    for (const name of ["name", "national_id", "phone", "owner", "activity", "address"]) {
      const value = String(data.get(name) || "").trim();
      if (value) fields[name] = value;
    }
    fields.province_id = Number(data.get("province_id"));
    if (data.get("park_id")) fields.park_id = Number(data.get("park_id"));
    if (data.get("status")) fields.status = data.get("status");
    const employees = digitsOnly(data.get("employees"));
    if (employees) fields.employees = Number(employees);
    if (where.value) fields.location = { lat: where.value.lat, lon: where.value.lon };
    onsubmit(fields);
  } },
  el("label", { class: "field" }, el("span", {}, "نام واحد *"), input("name", { required: true, maxlength: 300 })),
  el("label", { class: "field" }, el("span", {}, "استان *"), province),
  el("label", { class: "field" }, el("span", {}, "شهرک یا ناحیه صنعتی"), park),
  el("label", { class: "field" }, el("span", {}, "شناسه ملی"), input("national_id", { inputmode: "numeric", dir: "ltr", maxlength: 40 })),
  el("label", { class: "field" }, el("span", {}, "تلفن"), input("phone", { inputmode: "tel", dir: "ltr", maxlength: 60 })),
  el("label", { class: "field" }, el("span", {}, "مالک"), input("owner", { maxlength: 300 })),
  el("label", { class: "field" }, el("span", {}, "فعالیت"), input("activity", { maxlength: 300 })),
  el("label", { class: "field" }, el("span", {}, "نشانی"), input("address", { maxlength: 1000 })),
  el("label", { class: "field" }, el("span", {}, "وضعیت"), status),
  el("label", { class: "field" }, el("span", {}, "تعداد کارکنان"),
    input("employees", { inputmode: "numeric", dir: "ltr", value: initial.employees ?? "" })),
  el("div", { class: "row" }, el("span", {}, "موقعیت: "), coords, el("button", { type: "button", class: "small", onclick: () => {
    navigator.geolocation.getCurrentPosition((p) => {
      where.value = { lat: p.coords.latitude, lon: p.coords.longitude };
      coords.className = "coords";
      coords.textContent = persianDigits(`${where.value.lat.toFixed(5)}, ${where.value.lon.toFixed(5)}`);
    }, () => { coords.textContent = "موقعیت در دسترس نیست"; }, { timeout: 15000, enableHighAccuracy: true });
  } }, "موقعیت من")),
  el("div", { id: "lookalikes" }),
  el("button", { type: "submit", class: "primary" }, submitLabel));
  return form;
}

async function screenNewUnit() {
  let confirmed = false;
  const form = await unitFieldsForm({}, async (fields) => {
    const similar = confirmed ? [] : lookalikes(await loadUnits(), fields);
    if (similar.length) {
      const box = document.getElementById("lookalikes");
      box.replaceChildren(el("div", { class: "warning", role: "alert" },
        el("strong", {}, "این واحد شاید همان یکی از این‌ها باشد:"),
        el("ul", {}, similar.map((u) => el("li", {}, el("a", { href: `#/unit/${u.id}` }, u.name),
          el("span", { class: "muted" }, ` ${u.park || ""}`)))),
        el("p", {}, "اگر همان است، آن را باز کنید و بازدید را روی آن ثبت کنید."),
        el("button", { type: "button", id: "save-anyway", onclick: () => { confirmed = true; form.requestSubmit(); } },
          "واحد دیگری است؛ ثبت کن")));
      box.scrollIntoView({ block: "center" });
      return;
    }
    const unitId = await app.device.createUnit(fields);
    unitsChanged();
    await drawStatus();
    say("واحد ثبت شد. اکنون بازدید را ثبت کنید.", "ok");
    go(`#/visit/${unitId}`);
    if (navigator.onLine) sync(true);
  }, "ثبت واحد");
  show(el("h1", {}, "ثبت واحد تازه"), form);
}

async function screenEditUnit(unitId) {
  const row = await tx(app.db, ["units"], "readonly", (s) => get(s.units, unitId));
  if (!row) return go("#/units");
  const form = await unitFieldsForm(row.data, async (fields) => {
    const changed = Object.fromEntries(Object.entries(fields).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(row.data[k])));
    if (Object.keys(changed).length) {
      await app.device.updateUnit(unitId, changed);
      unitsChanged();
      say("تغییرات ثبت شد.", "ok");
      if (navigator.onLine) sync(true);
    }
    go(`#/unit/${unitId}`);
  }, "ذخیره تغییرات");
  show(el("h1", {}, `ویرایش «${row.data.name}»`), form);
}

async function photoUrl(sha) {
  const row = await tx(app.db, ["photos"], "readonly", (s) => get(s.photos, sha));
  return row ? URL.createObjectURL(row.blob) : "";
}

async function screenVisit(unitId, reviseId = null) {
  const [unit, visit, obstacles] = await tx(app.db, ["units", "visits", "obstacles"], "readonly", async (s) => [
    await get(s.units, unitId), reviseId ? await get(s.visits, reviseId) : null, await all(s.obstacles)]);
  const ref = visit?.data?.template || null;
  const definition = await templateFor(ref);
  if (!definition) return show(el("p", { class: "empty" }, "فرم بازدید هنوز دریافت نشده؛ یک بار همگام کنید."));
  const tax = await taxonomy();
  const urls = {};
  for (const sha of Object.values(visit?.data?.content?.answers || {}).flat()) {
    if (typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha)) urls[sha] = await photoUrl(sha);
  }
  const open = obstacles.filter((o) => o.unit_id === unitId && o.status === "open");
  const form = visitForm(definition, tax, { initial: visit?.data?.content || null, openObstacles: open,
    photoUrl: (sha) => urls[sha] });
  const comment = reviseId ? el("label", { class: "field card" }, el("span", {}, "چه چیزی اصلاح شد؟"),
    el("textarea", { id: "revision-comment", rows: 2 })) : null;
  const save = el("button", { type: "button", class: "primary", id: "save-visit", onclick: async () => {
    const { errors, answers, obstacles: found, photos } = form.collect();
    if (Object.keys(errors).length) {
      say("چند پرسش پاسخ درست ندارد؛ علامت‌خورده‌ها را ببینید.", "error");
      form.element.querySelector(".error:not(:empty)")?.closest(".question, fieldset")?.scrollIntoView({ block: "center" });
      return;
    }
    save.disabled = true;
    for (const [key, list] of Object.entries(photos)) {
      const shas = [];
      for (const p of list) shas.push(p.sha || await app.device.addPhoto(p.blob));
      if (shas.length) answers[key] = shas;
    }
    const template = { code: definition.code, version: definition.version };
    const location = Object.values(answers).find((v) => v && typeof v === "object" && "lat" in v) || null;
    if (reviseId) {
      await app.device.reviseVisit(reviseId, { template, answers, obstacles: found, location: location && { lat: location.lat, lon: location.lon },
        comment: document.getElementById("revision-comment").value || null });
    } else {
      await app.device.recordVisit({ unitId, template, answers, obstacles: found,
        location: location && { lat: location.lat, lon: location.lon } });
    }
    await drawStatus();
    say(navigator.onLine ? "بازدید ثبت شد و ارسال می‌شود." : "بازدید روی گوشی ثبت شد؛ با برگشتن اتصال ارسال می‌شود.", "ok");
    go(`#/unit/${unitId}`);
    if (navigator.onLine) sync(true);
  } }, reviseId ? "ارسال اصلاح" : "ثبت بازدید");
  show(el("h1", {}, reviseId ? "اصلاح بازدید برگشتی" : "بازدید تازه"),
    el("p", { class: "muted" }, unit?.data?.name || ""),
    visit?.data?.review_comment ? el("div", { class: "warning" }, el("strong", {}, "نظر ناظر: "), visit.data.review_comment) : null,
    form.element, comment, el("div", { class: "sticky-actions" }, save));
}

function describeError(error) {
  if (!error) return "";
  const fields = error.details?.fields || {};
  const named = Object.entries(fields).map(([path, messages]) => `${FIELD[path.replace(/^fields\./, "")] || path}: ${[].concat(messages).join("، ")}`);
  return named.length ? named.join(" — ") : error.message;
}

async function screenOutbox() {
  const [outbox, acked, notices, photos, units] = await tx(app.db, ["outbox", "acked", "notices", "photos", "units"],
    "readonly", async (s) => [await all(s.outbox), await all(s.acked), await all(s.notices), await all(s.photos), await all(s.units)]);
  const name = new Map(units.map((u) => [u.id, u.data.name]));
  const estimate = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : false;
  const lastSync = await readState(app.db, "last_sync");
  const item = (body, state, error) => el("li", { class: `outbox-item state-${state}`, "data-mutation": body.mutation_id },
    el("strong", {}, TYPE[body.type] || body.type), " ", name.get(body.unit_id) || body.name || body.fields?.name || "",
    el("span", { class: "badge" }, state === "queued" ? "در صف" : state === "sent" ? "فرستاده شد، منتظر پاسخ" : RESULT[state] || state),
    error ? el("p", { class: "error" }, describeError(error)) : null);
  show(
    el("section", { class: "card", id: "storage" }, el("h1", {}, "ارسال‌ها"),
      el("p", {}, `${persianDigits(outbox.length)} مورد و ${persianDigits(photos.filter((p) => p.state === "pending").length)} عکس هنوز ارسال نشده.`),
      el("p", { class: "muted", id: "kept" }, `${persianDigits(acked.filter((a) => a.body && !a.durable).length)} مورد و `
        + `${persianDigits(photos.filter((p) => p.state === "done" && !p.durable).length)} عکس فرستاده شده و تا اطمینان از `
        + "نگهداری امن روی سرور، روی گوشی هم نگه داشته می‌شود."),
      estimate ? el("p", { class: "muted" }, `فضای استفاده‌شده روی گوشی: ${persianDigits((estimate.usage / 1048576).toFixed(1))} مگابایت`
        + (persisted ? " — ماندگار (مرورگر آن را پاک نمی‌کند)" : " — ماندگار نشده")) : null,
      lastSync ? el("p", { class: "muted" }, `آخرین همگام‌سازی: ${jalaliDayTime(lastSync)}`) : null),
    el("section", { class: "card" }, el("h2", {}, "در صف"),
      outbox.length ? el("ul", { class: "outbox" }, outbox.sort((a, b) => a.mutation_id - b.mutation_id)
        .map((o) => item(o.body, o.sent ? "sent" : "queued"))) : el("p", { class: "muted" }, "چیزی در صف نیست.")),
    el("section", { class: "card" }, el("h2", {}, "پیام‌ها"),
      notices.length ? el("ul", { class: "notices" }, notices.sort((a, b) => b.id - a.id).slice(0, 50).map((n) => el("li", { class: `notice notice-${n.kind}` },
        noticeText(n, name)))) : el("p", { class: "muted" }, "پیامی نیست.")),
    el("section", { class: "card" }, el("h2", {}, "ارسال‌شده‌ها"),
      el("ul", { class: "outbox" }, acked.sort((a, b) => b.mutation_id - a.mutation_id).slice(0, 50)
        .map((a) => item(a.summary || a.body, a.result.first_status || a.status, a.result.error)))));
}

function noticeText(n, name) {
  const d = n.detail || {};
  switch (n.kind) {
    case "rejected": return `پذیرفته نشد — ${TYPE[d.mutation?.type] || ""}: ${describeError(d.error)}`;
    case "conflict": return `تعارض در ${d.conflicts.map((c) => FIELD[c.field] || c.field).join("، ")}: `
      + d.conflicts.map((c) => (c.kept === "yours" ? "مقدار شما ماند" : "مقدار دیگری ماند")).join("، ");
    case "merged": return `«${name.get(d.into) || "واحد"}» با واحدی که ثبت کرده بودید یکی شد.`;
    case "left_scope": return "واحدی با واحدی در استان دیگر یکی شد و از فهرست شما بیرون رفت.";
    case "returned": return `بازدیدی برای اصلاح برگشت: ${d.comment || ""}`;
    case "reset": return "فهرست از نو دریافت شد.";
    default: return n.kind;
  }
}

async function screenReturned() {
  const [visits, units] = await tx(app.db, ["visits", "units"], "readonly", async (s) => [await all(s.visits), await all(s.units)]);
  const name = new Map(units.map((u) => [u.id, u.data.name]));
  const returned = visits.map((v) => v.data).filter((v) => v.review_state === "returned" && !v.revising);
  show(el("h1", {}, "بازدیدهای برگشتی"),
    returned.length ? el("ul", { class: "list" }, returned.map((v) => el("li", { class: "item returned-item", "data-visit": v.id },
      el("strong", {}, name.get(v.unit_id) || "واحد"), el("span", { class: "muted" }, jalaliDay(v.observed_at)),
      el("p", { class: "comment" }, v.review_comment || ""),
      el("a", { class: "button", href: `#/revise/${v.id}` }, "اصلاح و ارسال دوباره"))))
      : el("p", { class: "empty" }, "بازدید برگشتی ندارید."));
}

async function screenRevise(visitId) {
  const row = await tx(app.db, ["visits"], "readonly", (s) => get(s.visits, visitId));
  if (!row) return go("#/returned");
  return screenVisit(row.data.unit_id, visitId);
}

// --- routing ------------------------------------------------------------------------------

// Screens are drawn one at a time, in the order asked. A redraw asked before the engineer
// tapped (a sync finishing) reads the store for a while; run alongside, it could land after
// the screen the tap opened and cover it. Queued, the last one asked draws the hash of then.
let routing = Promise.resolve();

function route() {
  const drawn = routing.then(drawRoute, drawRoute);
  routing = drawn.catch(() => {});
  return drawn;
}

async function drawRoute() {
  const user = await app.device.user();
  // A message belongs to the screen it was said on (or the one an action just led to).
  if (app.lastHash !== location.hash && Date.now() - (app.saidAt || 0) > 1500) say("");
  app.lastHash = location.hash;
  const [screen, id] = location.hash.replace(/^#\/?/, "").split("/");
  document.body.dataset.screen = screen || "units";
  for (const tab of document.querySelectorAll("nav.tabs a")) {
    tab.toggleAttribute("aria-current", tab.getAttribute("href") === `#/${screen || "units"}`);
  }
  if (!user || screen === "login") return screenLogin();
  const screens = { units: screenUnits, unit: screenUnit, new: screenNewUnit, edit: screenEditUnit, visit: screenVisit,
    outbox: screenOutbox, returned: screenReturned, revise: screenRevise };
  return (screens[screen] || screenUnits)(id);
}

async function start() {
  app.db = await openDb();
  app.device = new Device(app.db);
  window.fieldsync = app; // for the tests and the benchmark
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { drawStatus(); sync(true); });
  window.addEventListener("offline", drawStatus);
  document.getElementById("sync").addEventListener("click", () => sync(false));
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  await drawStatus();
  await route();
  document.body.dataset.ready = "1";
  performance.mark("fieldsync-ready"); // the first screen is drawn (bench/field_app.py reads it)
  if (navigator.onLine && (await app.device.user())) sync(true);
  setInterval(() => { if (navigator.onLine) sync(true); }, 60000);
}

start().catch((error) => { say(`برنامه باز نشد: ${error.message}`, "error"); });

export { app };
