// A checklist rendered from its template version (docs/checklists.md): every question type,
// conditions (show_if), required, ranges, Jalali date entry, the engineer's location, photos;
// then the obstacles, picked by area then group from the taxonomy, and the obstacles still
// open on the unit, offered for marking resolved. The checks here are the server's, so the
// engineer hears of a mistake in the factory yard; the server checks again and has the last word.

import { shrink } from "./photos.js";
import { newId } from "./protocol.js";
import { asciiDigits, jalaliDay, parseJalali, persianDigits, todayJalali } from "./text.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fa = (label) => (label && (label.fa || label.en)) || "";
const same = (a, b) => (typeof a === typeof b && a === b) || (typeof a === "number" && typeof b === "number" && a === b);

function holds(condition, answer) {
  const values = "in" in condition ? condition.in : [condition.equals];
  if (Array.isArray(answer)) return answer.some((a) => values.some((v) => same(a, v)));
  return values.some((v) => same(answer, v));
}

// Which questions are shown: a condition that holds on an earlier question that is shown.
export function shownKeys(definition, answers) {
  const shown = new Set();
  for (const section of definition.sections) {
    for (const q of section.questions) {
      const c = q.show_if;
      if (!c || (shown.has(c.question) && holds(c, answers[c.question]))) shown.add(q.key);
    }
  }
  return shown;
}

const blank = (v) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)
  || (typeof v === "string" && !v.trim());

function bound(value, today) {
  return value === "visit_date" ? today : value;
}

// The server's answer rules for one shown question: messages in Persian.
export function problems(q, value, today) {
  if (blank(value)) return q.required ? ["این پرسش باید پاسخ داده شود."] : [];
  const out = [];
  if (q.type === "integer" && !Number.isInteger(value)) out.push("یک عدد صحیح وارد کنید.");
  if (q.type === "decimal" && (typeof value !== "number" || !Number.isFinite(value))) out.push("یک عدد وارد کنید.");
  if (q.type === "text" && value.length > (q.max_length || 4000)) {
    out.push(`حداکثر ${persianDigits(q.max_length || 4000)} نویسه.`);
  }
  if (q.type === "integer" || q.type === "decimal") {
    if ("min" in q && value < q.min) out.push(`کمتر از ${persianDigits(q.min)} نباشد.`);
    if ("max" in q && value > q.max) out.push(`بیشتر از ${persianDigits(q.max)} نباشد.`);
  }
  if (q.type === "date") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) out.push("تاریخ را به شکل ۱۴۰۴/۱۲/۱۰ وارد کنید.");
    else {
      const min = "min" in q ? bound(q.min, today) : null;
      const max = "max" in q ? bound(q.max, today) : null;
      if (min && value < min) out.push(q.min === "visit_date" ? "پیش از روز بازدید نباشد." : `پیش از ${jalaliDay(`${min}T12:00:00Z`)} نباشد.`);
      if (max && value > max) out.push(q.max === "visit_date" ? "پس از روز بازدید نباشد." : `پس از ${jalaliDay(`${max}T12:00:00Z`)} نباشد.`);
    }
  }
  return out;
}

function isoToday() {
  const now = new Date();
  const tehran = new Date(now.getTime() + 3.5 * 3600000);
  return tehran.toISOString().slice(0, 10);
}

function readNumber(text, integer) {
  const t = asciiDigits(text).replace("٫", ".").replace(",", ".").trim();
  if (!t) return null;
  const n = Number(t);
  if (!Number.isFinite(n)) return t; // kept as text: the checks say what is wrong
  return integer && !Number.isInteger(n) ? n : n;
}

function choiceList(q, name, current, multiple, onchange) {
  const type = multiple ? "checkbox" : "radio";
  return el("div", { class: "choices", role: multiple ? "group" : "radiogroup" },
    q.choices.map((c) => el("label", { class: "choice" },
      el("input", { type, name, value: c.value, checked: multiple ? (current || []).includes(c.value) : current === c.value,
        onchange }), fa(c.label))));
}

// One question's field; `state` holds the answers, `refresh` re-evaluates the form.
function field(q, state, refresh, photoStore) {
  const name = `q_${q.key}`;
  const set = (value) => { if (blank(value)) delete state.answers[q.key]; else state.answers[q.key] = value; refresh(); };
  const current = state.answers[q.key];
  let input;
  switch (q.type) {
    case "note":
      return el("p", { class: "note" }, fa(q.label));
    case "text":
      input = (q.max_length || 4000) > 200
        ? el("textarea", { name, rows: 3, maxlength: q.max_length || 4000 }, current || "")
        : el("input", { name, type: "text", maxlength: q.max_length || 4000, value: current || "" });
      input.addEventListener("input", () => set(input.value));
      break;
    case "integer":
    case "decimal":
      input = el("input", { name, type: "text", inputmode: q.type === "integer" ? "numeric" : "decimal", dir: "ltr",
        value: current === undefined ? "" : persianDigits(current) });
      input.addEventListener("input", () => set(readNumber(input.value, q.type === "integer")));
      break;
    case "yes_no":
      input = el("div", { class: "choices", role: "radiogroup" },
        [[true, "بله"], [false, "خیر"]].map(([v, text]) => el("label", { class: "choice" },
          el("input", { type: "radio", name, value: String(v), checked: current === v, onchange: () => set(v) }), text)));
      break;
    case "select_one":
      if (q.choices.length > 6) {
        input = el("select", { name }, el("option", { value: "" }, "— انتخاب کنید —"),
          q.choices.map((c) => el("option", { value: c.value, selected: current === c.value }, fa(c.label))));
        input.addEventListener("change", () => set(input.value));
      } else {
        input = choiceList(q, name, current, false, (e) => set(e.target.value));
      }
      break;
    case "select_multiple":
      input = choiceList(q, name, current, true, () => {
        set([...input.querySelectorAll("input:checked")].map((i) => i.value));
      });
      break;
    case "date": {
      const text = el("input", { name, type: "text", inputmode: "numeric", placeholder: "۱۴۰۴/۱۲/۱۰", dir: "ltr",
        value: current ? jalaliDay(`${current}T12:00:00Z`) : "" });
      const read = () => {
        const day = parseJalali(text.value);
        state.dateText[q.key] = text.value;
        set(day || (text.value.trim() ? `invalid:${text.value}` : ""));
      };
      text.addEventListener("input", read);
      input = el("div", { class: "row" }, text,
        el("button", { type: "button", class: "small", onclick: () => { text.value = todayJalali(); read(); } }, "امروز"));
      break;
    }
    case "location": {
      const shown = el("span", { class: "coords", dir: "ltr" },
        current ? persianDigits(`${current.lat.toFixed(5)}, ${current.lon.toFixed(5)}`) : "ثبت نشده");
      input = el("div", { class: "row" }, shown, el("button", { type: "button", class: "small", onclick: () => {
        shown.textContent = "در حال یافتن موقعیت…";
        navigator.geolocation.getCurrentPosition((p) => {
          const v = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: Math.round(p.coords.accuracy) };
          shown.textContent = persianDigits(`${v.lat.toFixed(5)}, ${v.lon.toFixed(5)} (±${v.accuracy} متر)`);
          set(v);
        }, () => { shown.textContent = "موقعیت در دسترس نیست."; }, { enableHighAccuracy: true, timeout: 20000 });
      } }, "موقعیت من"));
      break;
    }
    case "photo": {
      const list = el("div", { class: "thumbs" });
      const draw = () => {
        list.replaceChildren(...(state.photos[q.key] || []).map((p, i) => el("figure", { class: "thumb" },
          el("img", { src: p.url, alt: `عکس ${persianDigits(i + 1)}` }),
          el("button", { type: "button", class: "link", onclick: () => { state.photos[q.key].splice(i, 1); draw(); refresh(); } }, "حذف"))));
      };
      const picker = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, name,
        class: "file" });
      picker.addEventListener("change", async () => {
        for (const file of picker.files) {
          const blob = await shrink(file);
          (state.photos[q.key] ||= []).push({ blob, url: URL.createObjectURL(blob) });
        }
        picker.value = "";
        draw();
        refresh();
      });
      for (const sha of [].concat(current || [])) {
        (state.photos[q.key] ||= []).push({ sha, url: photoStore?.(sha) || "" });
      }
      draw();
      input = el("div", {}, list, el("label", { class: "button small" }, "گرفتن عکس", picker));
      break;
    }
    default:
      input = el("span", {}, q.type);
  }
  return el("div", { class: "question", "data-key": q.key },
    el("label", { class: "q-label" }, fa(q.label), q.required ? el("span", { class: "req", "aria-label": "لازم" }, " *") : null),
    q.help ? el("small", { class: "help" }, fa(q.help)) : null,
    input,
    el("p", { class: "error", role: "alert", "data-error": q.key }));
}

function select(name, options, current, placeholder) {
  return el("select", { name }, el("option", { value: "" }, placeholder),
    options.map(([value, label]) => el("option", { value, selected: current === value }, label)));
}

function obstacleEditor(taxonomy, record, onchange, onremove) {
  const area = select("area", taxonomy.areas.map((a) => [a.code, fa(a.label)]), record.area, "— حوزه —");
  const group = el("select", { name: "group" });
  const fillGroups = () => {
    const chosen = taxonomy.areas.find((a) => a.code === area.value);
    group.replaceChildren(el("option", { value: "" }, "— گروه مانع —"),
      ...(chosen ? chosen.groups : []).map((g) => el("option", { value: g.code, selected: record.group === g.code }, fa(g.label))));
  };
  fillGroups();
  const severity = select("severity", taxonomy.severities.map((x) => [x.code, fa(x.label)]), record.severity, "— شدت —");
  const body = select("responsible_body", taxonomy.responsible_bodies.map((x) => [x.code, fa(x.label)]),
    record.responsible_body, "— دستگاه مسئول —");
  const description = el("textarea", { name: "description", rows: 2, placeholder: "شرح مانع" }, record.description || "");
  const action = el("textarea", { name: "proposed_action", rows: 2, placeholder: "اقدام پیشنهادی" }, record.proposed_action || "");
  const read = () => {
    Object.assign(record, { area: area.value, group: group.value, severity: severity.value, description: description.value,
      proposed_action: action.value || null, responsible_body: body.value || null });
    onchange();
  };
  area.addEventListener("change", () => { fillGroups(); read(); });
  for (const node of [group, severity, body]) node.addEventListener("change", read);
  for (const node of [description, action]) node.addEventListener("input", read);
  return el("fieldset", { class: "obstacle" }, el("legend", {}, "مانع"), area, group, severity, description, action, body,
    el("button", { type: "button", class: "link danger", onclick: onremove }, "حذف این مانع"));
}

// The whole form. `initial`: the content of a visit being revised.
export function visitForm(definition, taxonomy, { initial = null, openObstacles = [], photoUrl = null } = {}) {
  const state = { answers: { ...(initial?.answers || {}) }, photos: {}, dateText: {},
    obstacles: (initial?.obstacles || []).filter((o) => !o.resolved).map((o) => ({ ...o })),
    resolved: new Set((initial?.obstacles || []).filter((o) => o.resolved).map((o) => o.obstacle_id)) };
  const today = isoToday();
  const sections = [];
  const refresh = () => {
    const shown = shownKeys(definition, state.answers);
    for (const node of form.querySelectorAll(".question")) node.hidden = !shown.has(node.dataset.key);
  };
  for (const section of definition.sections) {
    sections.push(el("section", { class: "card section" }, el("h2", {}, fa(section.title)),
      section.questions.map((q) => field(q, state, () => refresh(), photoUrl))));
  }
  const list = el("div", { class: "obstacles" });
  const drawObstacles = () => {
    list.replaceChildren(...state.obstacles.map((o, i) => obstacleEditor(taxonomy, o, () => {},
      () => { state.obstacles.splice(i, 1); drawObstacles(); })));
  };
  drawObstacles();
  const open = openObstacles.length ? el("div", { class: "open-obstacles" }, el("h3", {}, "موانع باز این واحد"),
    openObstacles.map((o) => el("label", { class: "choice" },
      el("input", { type: "checkbox", name: "resolved", value: o.id, checked: state.resolved.has(o.id),
        onchange: (e) => { if (e.target.checked) state.resolved.add(o.id); else state.resolved.delete(o.id); } }),
      `${o.description || o.group} — برطرف شد`))) : null;
  const obstaclesCard = el("section", { class: "card section" }, el("h2", {}, "موانع تولید"), open, list,
    el("button", { type: "button", class: "small", id: "add-obstacle", onclick: () => {
      state.obstacles.push({ obstacle_id: newId() });
      drawObstacles();
    } }, "+ افزودن مانع"));
  const form = el("form", { class: "visit-form", novalidate: true }, sections, obstaclesCard);
  refresh();

  // The visit as the protocol wants it, or the problems found (question key → messages).
  function collect() {
    const shown = shownKeys(definition, state.answers);
    const errors = {};
    for (const section of definition.sections) {
      for (const q of section.questions) {
        if (!shown.has(q.key) || q.type === "note") continue;
        let value = state.answers[q.key];
        if (q.type === "photo") value = (state.photos[q.key] || []).length ? ["photo"] : null;
        if (typeof value === "string" && value.startsWith("invalid:")) {
          errors[q.key] = ["این تاریخ در تقویم نیست."];
          continue;
        }
        const found = problems(q, value, today);
        if (found.length) errors[q.key] = found;
      }
    }
    state.obstacles.forEach((o, i) => {
      const missing = ["area", "group", "severity", "description"].filter((k) => !o[k] || !String(o[k]).trim());
      if (missing.length) errors[`obstacle_${i}`] = ["حوزه، گروه، شدت و شرح مانع لازم است."];
    });
    for (const node of form.querySelectorAll("[data-error]")) {
      node.textContent = (errors[node.dataset.error] || []).join(" ");
    }
    const answers = {};
    for (const [key, value] of Object.entries(state.answers)) if (shown.has(key)) answers[key] = value;
    const resolved = openObstacles.filter((o) => state.resolved.has(o.id)).map((o) => ({
      obstacle_id: o.id, area: o.area, group: o.group, severity: o.severity || "medium",
      description: o.description || "—", resolved: true }));
    const obstacles = [...state.obstacles.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v))), ...resolved];
    return { errors, answers, obstacles, photos: state.photos, shown };
  }
  return { element: form, collect };
}
