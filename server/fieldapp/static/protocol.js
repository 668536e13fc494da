// The sync protocol (docs/sync-protocol.md) from the browser: the second implementation of
// it beside the reference client (sync/client.py), keeping everything in IndexedDB.
//
// The three rules of §1: a sent mutation never changes (a retry sends the same bytes); a
// pull page and its cursor are saved in one transaction; one push at a time, in id order.
// Every local change and the mutation that records it are written in one transaction too,
// so closing the tab at any moment loses nothing.

import { all, get, getState, req, setState, tx } from "./db.js";
import { fold } from "./text.js";

export class NeedsLogin extends Error {}
export class Offline extends Error {}
export class ServerError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(`${status} ${error.code || ""}: ${error.message || ""}`);
    this.status = status;
    this.code = error.code;
    this.body = body;
  }
}

const BATCH = 100;
const CHUNK = 512 * 1024; // photo upload chunk
const SERVER_KEYS = new Set(["units", "visits", "redirects", "obstacles"]);
const SYNCED = ["state", "outbox", "acked", "units", "visits", "obstacles", "redirects", "reference", "notices",
  "photos"];

const iso = (d) => d.toISOString();

// A unit's row: the copy shown, the last server copy, whether edits are pending, and the
// folded name the search matches on — folded once here, not for every unit at each start.
const putUnit = (s, id, data, server, pending) => req(s.units.put({ id, data, server, pending, key: fold(data.name) }));
async function sha256(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return new Uint8Array(digest);
}
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// A time-ordered UUIDv7 (RFC 9562: 48 bits of Unix milliseconds, then random bits) for what
// the device creates: the server's indexes then grow at their end (docs/sync-protocol.md).
export function newId(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 5, ms = now; i >= 0; i--, ms = Math.floor(ms / 256)) bytes[i] = ms % 256;
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const base64 = (bytes) => btoa(String.fromCharCode(...bytes));

export class Device {
  constructor(db, { fetch = globalThis.fetch.bind(globalThis), now = () => new Date() } = {}) {
    this.db = db;
    this.fetch = fetch;
    this.now = now;
    this.running = null;
  }

  // --- identity and tokens -----------------------------------------------------------------

  async deviceId() {
    return tx(this.db, ["state"], "readwrite", async (s) => {
      let id = await getState(s, "device_id");
      if (!id) {
        id = newId();
        await setState(s, "device_id", id);
        await setState(s, "next_mutation_id", 1);
      }
      return id;
    });
  }

  async user() {
    return tx(this.db, ["state"], "readonly", (s) => getState(s, "user"));
  }

  async login(username, password) {
    const deviceId = await this.deviceId();
    const { status, body } = await this.request("POST", "/api/v1/auth/login", {
      body: { username, password, device_id: deviceId, device_label: "fieldsync app" }, auth: false });
    if (status !== 200) throw new ServerError(status, body);
    await tx(this.db, ["state"], "readwrite", async (s) => {
      await setState(s, "access_token", body.access_token);
      await setState(s, "refresh_token", body.refresh_token);
      await setState(s, "user", body.user);
    });
    return body.user;
  }

  async refresh() {
    const token = await tx(this.db, ["state"], "readonly", (s) => getState(s, "refresh_token"));
    if (!token) throw new NeedsLogin("never logged in");
    const { status, body } = await this.send("POST", "/api/v1/auth/refresh", { token });
    if (status === 401) throw new NeedsLogin(body?.error?.message || "log in again");
    if (status !== 200) throw new ServerError(status, body);
    await tx(this.db, ["state"], "readwrite", async (s) => {
      await setState(s, "access_token", body.access_token);
      await setState(s, "refresh_token", body.refresh_token || token);
    });
  }

  async send(method, path, { body, params, token, raw, headers = {} } = {}) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined) url.searchParams.set(k, v);
    const init = { method, headers: { ...headers }, cache: "no-store" };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (raw !== undefined) {
      init.body = raw;
      init.headers["Content-Type"] = "application/octet-stream";
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await this.fetch(url.toString(), init);
    } catch (error) {
      throw new Offline(String(error));
    }
    const text = await response.text().catch(() => { throw new Offline("the answer was cut"); });
    let parsed = {};
    try { parsed = text ? JSON.parse(text) : {}; } catch (_) { parsed = {}; }
    return { status: response.status, body: parsed };
  }

  // A call with the access token, refreshed once when it has expired (§2).
  async request(method, path, options = {}) {
    if (options.auth === false) return this.send(method, path, options);
    const token = () => tx(this.db, ["state"], "readonly", (s) => getState(s, "access_token"));
    let answer = await this.send(method, path, { ...options, token: await token() });
    if (answer.status === 401 && answer.body?.error?.code === "token_expired") {
      await this.refresh();
      answer = await this.send(method, path, { ...options, token: await token() });
    }
    if (answer.status === 401) throw new NeedsLogin(answer.body?.error?.message || "log in again");
    if (answer.status >= 500) throw new Offline(`server error ${answer.status}`);
    return answer;
  }

  // --- recording offline: a local change and its mutation in one transaction ---------------

  async enqueue(type, fields, apply) {
    return tx(this.db, SYNCED, "readwrite", async (s) => {
      const id = await getState(s, "next_mutation_id", 1);
      const mutation = { mutation_id: id, type, observed_at: iso(this.now()), ...fields };
      await req(s.outbox.put({ mutation_id: id, type, body: mutation, sent: false, queued_at: iso(this.now()) }));
      await setState(s, "next_mutation_id", id + 1);
      if (apply) await apply(s, mutation);
      return mutation;
    });
  }

  async createUnit(fields) {
    const unitId = newId();
    await this.enqueue("create_unit", { unit_id: unitId, fields }, async (s) => {
      await putUnit(s, unitId, { id: unitId, ...fields, seq: null }, null, true);
    });
    return unitId;
  }

  // An edit of some fields; base_seq is the seq of the server copy the engineer saw (§3).
  async updateUnit(unitId, fields) {
    const row = await tx(this.db, ["units"], "readonly", (s) => get(s.units, unitId));
    const baseSeq = row && row.server ? row.server.seq : null;
    await this.enqueue("update_unit", { unit_id: unitId, base_seq: baseSeq, fields }, async (s) => {
      const current = await get(s.units, unitId);
      await putUnit(s, unitId, { ...current.data, ...fields }, current.server, true);
    });
    return unitId;
  }

  async recordVisit({ unitId, template, answers, obstacles = [], location = null, attachments = [] }) {
    const visitId = newId();
    await this.enqueue("create_visit", { visit_id: visitId, unit_id: unitId, template, location, answers, obstacles,
      attachments }, async (s) => {
      await req(s.visits.put({ id: visitId, data: { id: visitId, unit_id: unitId, template, local: true,
        review_state: null, observed_at: iso(this.now()), content: { template, location, answers, obstacles, attachments } } }));
    });
    return visitId;
  }

  async reviseVisit(visitId, { template, answers, obstacles = [], location = null, attachments = [], comment = null }) {
    return tx(this.db, ["visits"], "readonly", (s) => get(s.visits, visitId)).then(async (row) => {
      const baseVersion = row?.data?.version || 1;
      await this.enqueue("revise_visit", { visit_id: visitId, base_version: baseVersion, template, location, answers,
        obstacles, attachments, comment }, async (s) => {
        const data = { ...row.data, revising: true, content: { template, location, answers, obstacles, attachments } };
        await req(s.visits.put({ id: visitId, data }));
      });
      return baseVersion + 1;
    });
  }

  // A photo as taken (already resized by photos.js), kept until its upload is done.
  async addPhoto(blob) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const sha = hex(await sha256(bytes));
    await tx(this.db, ["photos"], "readwrite", async (s) => {
      const known = await get(s.photos, sha);
      if (!known) await req(s.photos.put({ sha256: sha, blob, size: bytes.length, type: blob.type, state: "pending",
        started: false, received: 0, created: iso(this.now()) }));
    });
    return sha;
  }

  // --- sync --------------------------------------------------------------------------------

  // One sync at a time: a second call waits for the round under way (one push at a time).
  sync() {
    if (!this.running) {
      this.running = this.round().finally(() => { this.running = null; });
    }
    return this.running;
  }

  async round() {
    let pushed = await this.push();
    const pages = await this.pull();
    const again = await tx(this.db, ["state"], "readwrite", async (s) => {
      const flag = await getState(s, "sending_again");
      if (flag) await setState(s, "sending_again", false);
      return flag;
    });
    if (again) pushed += await this.push(); // the pull found the store replaced: what it lacks goes now (§7)
    const uploads = await this.uploadPhotos();
    await tx(this.db, ["state"], "readwrite", (s) => setState(s, "last_sync", iso(this.now())));
    return { pushed, pages, uploads };
  }

  async push() {
    let size = BATCH;
    let total = 0;
    let after = 0; // past the mutations answered `deferred` this round: they wait for the next push
    let replaced = false;
    for (;;) {
      const [rows, storeId] = await tx(this.db, ["outbox", "state"], "readwrite", async (s) => {
        const queued = (await all(s.outbox)).filter((r) => r.mutation_id > after)
          .sort((a, b) => a.mutation_id - b.mutation_id).slice(0, size);
        for (const row of queued) if (!row.sent) await req(s.outbox.put({ ...row, sent: true }));
        return [queued, await getState(s, "store_id")];
      });
      if (!rows.length) return total;
      const answer = await this.request("POST", "/api/v1/sync/push",
        { body: { mutations: rows.map((r) => r.body), ...(storeId ? { store_id: storeId } : {}) } });
      if (answer.status === 409 && answer.body?.error?.code === "store_replaced" && !replaced) {
        replaced = true; // the store was restored: the pull's reset puts back what it lacks (§7)
        await this.pull();
        continue;
      }
      if (answer.status === 413 && rows.length > 1) {
        const max = answer.body?.error?.details?.max_mutations;
        size = Number.isInteger(max) && max < rows.length ? max : Math.ceil(rows.length / 2);
        continue;
      }
      if (answer.status !== 200) throw new ServerError(answer.status, answer.body);
      const durable = answer.body.durable || {};
      await tx(this.db, SYNCED, "readwrite", async (s) => {
        for (let i = 0; i < rows.length; i += 1) {
          const result = answer.body.results[i];
          if (result.status === "deferred") continue; // not recorded: it stays queued, unchanged
          await this.settle(s, rows[i].body, result, durable.store_id, !!rows[i].resent);
        }
        await this.learnDurable(s, durable);
      });
      after = rows[rows.length - 1].mutation_id;
      total += rows.length;
    }
  }

  // Record the server's answer to one mutation and take it out of the outbox (§4). Its body is
  // kept until the store that answered says it can no longer lose it, and a pull reflected it
  // (§7): to send it again if the store is replaced, and to rebuild a unit.
  async settle(s, mutation, result, storeId, resent = false) {
    await req(s.outbox.delete(mutation.mutation_id));
    const summary = { mutation_id: mutation.mutation_id, type: mutation.type, unit_id: result.unit_id || mutation.unit_id,
      name: mutation.fields?.name || null };
    await req(s.acked.put({ mutation_id: mutation.mutation_id, status: result.status, result, body: mutation, summary,
      store_id: storeId || null, durable: false, resent }));
    const status = result.first_status || result.status;
    if (status === "rejected") {
      await this.notice(s, "rejected", { mutation, error: result.error });
      await this.undo(s, mutation);
      return;
    }
    if (result.conflicts) await this.notice(s, "conflict", { mutation, conflicts: result.conflicts });
    if (result.dedup && result.dedup.status === "merged") {
      await this.notice(s, "merged", { from: result.dedup.merged_from, into: result.dedup.merged_into });
    }
    const named = mutation.unit_id;
    if (named && result.unit_id && named !== result.unit_id && mutation.type !== "revise_visit") {
      await this.learnRedirect(s, named, result.unit_id);
    }
    if (mutation.visit_id && (mutation.type === "create_visit" || mutation.type === "revise_visit")) {
      const row = await get(s.visits, mutation.visit_id);
      if (row) await req(s.visits.put({ id: row.id, data: { ...row.data, sent: true, unit_id: result.unit_id || row.data.unit_id } }));
    }
  }

  // The store `durable.store_id` can no longer lose what it acknowledged up to
  // `durable.mutation_id` (§7); another store's answers are not covered.
  async learnDurable(s, durable) {
    if (!durable || !durable.store_id) return;
    await setState(s, "store_id", durable.store_id);
    const reflected = await getState(s, "reflected_mutation_id", 0);
    for (const a of await all(s.acked)) {
      const safe = a.durable || (a.store_id === durable.store_id && a.mutation_id <= durable.mutation_id);
      const body = safe && a.mutation_id <= reflected ? null : a.body;
      if (safe !== a.durable || body !== a.body) await req(s.acked.put({ ...a, durable: safe, body }));
    }
  }

  // After `store_replaced`: whatever another store acknowledged and never said was durable may
  // be missing from this one. Back to the outbox, byte for byte and marked sent (never
  // rewritten); the new store answers `duplicate` for what it has and applies the rest (§7).
  async sendAgain(s, storeId) {
    for (const a of await all(s.acked)) {
      if (!a.body || a.durable || (storeId && a.store_id === storeId)) continue;
      await req(s.outbox.put({ mutation_id: a.mutation_id, type: a.body.type, body: a.body, sent: true, resent: true,
        queued_at: iso(this.now()) }));
      await req(s.acked.delete(a.mutation_id));
    }
    // Photos too: the new store may not hold those never said durable; ask, and send again.
    for (const p of await all(s.photos)) {
      if (p.state === "done" && !p.durable) await req(s.photos.put({ ...p, state: "pending", started: true }));
    }
    await setState(s, "sending_again", true);
  }

  async notice(s, kind, detail) {
    await req(s.notices.add({ kind, detail, at: iso(this.now()), read: false }));
  }

  // A rejected mutation never happened on the server: take its effect out of the local copies.
  async undo(s, mutation) {
    if (mutation.type === "create_unit" || mutation.type === "update_unit") {
      await this.rebuildUnit(s, await this.redirected(s, mutation.unit_id));
    } else if (mutation.type === "create_visit") {
      const row = await get(s.visits, mutation.visit_id);
      if (row && !row.data.version) await req(s.visits.delete(mutation.visit_id));
    } else if (mutation.type === "revise_visit") {
      const row = await get(s.visits, mutation.visit_id);
      if (row) await req(s.visits.put({ id: row.id, data: { ...row.data, revising: false } }));
    }
  }

  async redirected(s, unitId) {
    const seen = new Set();
    let id = unitId;
    while (!seen.has(id)) {
      seen.add(id);
      const row = await get(s.redirects, id);
      if (!row) return id;
      id = row.to;
    }
    return id;
  }

  // X→T: every local reference to X becomes T; unsent mutations follow (sent ones stay as sent).
  async learnRedirect(s, from, to) {
    if (to === null || to === undefined) {
      await req(s.redirects.delete(from));
      return;
    }
    await req(s.redirects.put({ from, to }));
    for (const row of await all(s.redirects)) if (row.to === from) await req(s.redirects.put({ from: row.from, to }));
    await req(s.units.delete(from));
    for (const row of await all(s.visits)) {
      if (row.data.unit_id === from) await req(s.visits.put({ id: row.id, data: { ...row.data, unit_id: to } }));
    }
    for (const row of await all(s.outbox)) {
      if (!row.sent && row.body.unit_id === from) {
        await req(s.outbox.put({ ...row, body: { ...row.body, unit_id: to } }));
      }
    }
  }

  // A unit's copy: the last server copy with this device's edits not yet reflected on top.
  async rebuildUnit(s, unitId) {
    const row = await get(s.units, unitId);
    let unit = row && row.server ? { ...row.server } : null;
    const reflected = await getState(s, "reflected_mutation_id", 0);
    const edits = [];
    for (const a of await all(s.acked)) {
      if (a.mutation_id <= reflected || !a.body) continue;
      const landed = a.result.unit_id === unitId && (a.body.type === "update_unit" || a.body.unit_id === unitId);
      if (landed && (a.result.first_status || a.result.status) !== "rejected") edits.push(a.body);
    }
    for (const o of await all(s.outbox)) {
      if (o.body.unit_id && (await this.redirected(s, o.body.unit_id)) === unitId && !mergedCreate(o.body, unitId)) {
        edits.push(o.body);
      }
    }
    edits.sort((a, b) => a.mutation_id - b.mutation_id);
    for (const m of edits) {
      if (m.type === "create_unit" && unit === null) unit = { id: unitId, ...m.fields };
      else if ((m.type === "create_unit" || m.type === "update_unit") && unit !== null) unit = { ...unit, ...m.fields };
    }
    if (unit === null) await req(s.units.delete(unitId));
    else await putUnit(s, unitId, unit, row ? row.server : null, edits.length > 0);
  }

  async pull() {
    let pages = 0;
    for (;;) {
      const cursor = await tx(this.db, ["state"], "readonly", (s) => getState(s, "cursor"));
      const answer = await this.request("GET", "/api/v1/sync/pull", { params: { cursor } });
      if (answer.status !== 200) throw new ServerError(answer.status, answer.body);
      const page = answer.body;
      await tx(this.db, SYNCED, "readwrite", async (s) => {
        if (page.reset) {
          if (page.reset_reason === "store_replaced") await this.sendAgain(s, page.durable?.store_id);
          await this.resetCopies(s, page.reset_reason);
        } else await this.applyPage(s, page);
        await setState(s, "cursor", page.cursor);
        await setState(s, "scope", page.scope);
        if (!page.has_more) {
          // Everything acknowledged so far is in what was just pulled: its body is needed no
          // more to rebuild a unit, only to send again until it is durable. The units those
          // mutations touched are rebuilt on the server copies: one whose answer came late (a
          // lost answer, then `duplicate`) was laid on a copy that already held it.
          const before = await getState(s, "reflected_mutation_id", 0);
          const acked = await all(s.acked);
          await setState(s, "reflected_mutation_id", acked.reduce((m, a) => Math.max(m, a.mutation_id), 0));
          const touched = new Set();
          for (const a of acked) {
            if (a.mutation_id <= before || !a.body) continue;
            if (a.body.type !== "create_unit" && a.body.type !== "update_unit") continue;
            for (const id of [a.body.unit_id, a.result.unit_id]) if (id) touched.add(id);
          }
          for (const id of touched) await this.rebuildUnit(s, await this.redirected(s, id));
        }
        await this.learnDurable(s, page.durable);
      });
      pages += 1;
      if (!page.has_more) return pages;
    }
  }

  async resetCopies(s, reason) {
    for (const row of await all(s.units)) {
      if (!row.pending) await req(s.units.delete(row.id));
      else await req(s.units.put({ ...row, server: null }));
    }
    await req(s.reference.clear());
    await req(s.redirects.clear());
    await req(s.obstacles.clear());
    await this.notice(s, "reset", { reason });
  }

  async applyPage(s, page) {
    for (const [kind, rows] of Object.entries(page)) {
      if (SERVER_KEYS.has(kind) || !Array.isArray(rows)) continue;
      for (const row of rows) {
        const key = `${kind}:${row.id}`;
        if (row.removed) await req(s.reference.delete(key));
        else await req(s.reference.put({ key, kind, id: row.id, data: row }));
      }
    }
    for (const r of page.redirects || []) {
      await this.learnRedirect(s, r.from, r.to);
      if (r.left_scope) await this.notice(s, "left_scope", { from: r.from, to: r.to });
    }
    for (const unit of page.units || []) {
      if (unit.removed || unit.merged_into) {
        await req(s.units.delete(unit.id));
        if (unit.merged_into) await this.learnRedirect(s, unit.id, unit.merged_into);
      } else {
        await putUnit(s, unit.id, unit, unit, false);
      }
    }
    for (const o of page.obstacles || []) {
      if (o.removed) await req(s.obstacles.delete(o.id));
      else await req(s.obstacles.put(o));
    }
    for (const outcome of page.visits || []) {
      const row = await get(s.visits, outcome.id);
      const was = row ? row.data : {};
      if (outcome.review_state === "returned" && was.review_state !== "returned") {
        await this.notice(s, "returned", { visit_id: outcome.id, comment: outcome.review_comment });
      }
      const data = { ...was, ...outcome, local: false, revising: outcome.review_state === "returned" ? false : was.revising };
      if (outcome.content) data.content = outcome.content;
      await req(s.visits.put({ id: outcome.id, data }));
    }
    await this.rebasePending(s);
  }

  // Edits still in the outbox, put back on top of the server copies just pulled (§5).
  async rebasePending(s) {
    const queued = (await all(s.outbox)).sort((a, b) => a.mutation_id - b.mutation_id);
    for (const o of queued) {
      if (o.type !== "create_unit" && o.type !== "update_unit") continue;
      const unitId = await this.redirected(s, o.body.unit_id);
      if (mergedCreate(o.body, unitId)) continue; // the merge decided; the page carries it
      const row = await get(s.units, unitId);
      const data = { ...(row ? row.data : { id: unitId }), ...o.body.fields };
      await putUnit(s, unitId, data, row ? row.server : null, true);
    }
  }

  // --- photos: resumable, verified uploads (§8) ----------------------------------------------

  async uploadPhotos() {
    const counts = { pending: 0, done: 0, failed: 0 };
    const rows = await tx(this.db, ["photos"], "readonly", (s) => all(s.photos));
    for (const photo of rows) {
      if (photo.state === "done" && !photo.durable) await this.checkDurable(photo);
      if (photo.state !== "pending") { counts[photo.state] += 1; continue; }
      try {
        await this.upload(photo);
        counts.done += 1;
      } catch (error) {
        if (error instanceof Offline || error instanceof NeedsLogin) { counts.pending += 1; break; }
        await tx(this.db, ["photos"], "readwrite", (s) => req(s.photos.put({ ...photo, state: "failed",
          error: error.body?.error || { message: String(error) } })));
        counts.failed += 1;
      }
    }
    return counts;
  }

  async upload(photo) {
    const url = `/api/v1/attachments/${photo.sha256}`;
    let offset = 0;
    if (photo.started) {
      const { status, body } = await this.request("GET", `${url}/status`);
      if (status === 200 && body.complete) return this.markDone(photo, body.durable);
      offset = status === 200 && body.size === photo.size ? body.received : 0;
    } else {
      await tx(this.db, ["photos"], "readwrite", (s) => req(s.photos.put({ ...photo, started: true })));
    }
    const bytes = new Uint8Array(await photo.blob.arrayBuffer());
    let attempts = 3;
    for (;;) {
      const chunk = bytes.subarray(offset, Math.min(offset + CHUNK, bytes.length));
      const digest = base64(await sha256(chunk));
      const { status, body } = await this.request("PUT", url, { raw: chunk, headers: {
        "Content-Range": `bytes ${offset}-${offset + chunk.length - 1}/${bytes.length}`,
        "Content-Digest": `sha-256=:${digest}:` } });
      if ((status === 409 || status === 422) && attempts > 0) {
        attempts -= 1;
        offset = body?.error?.details?.received || 0;
        continue;
      }
      if (status !== 200) throw new ServerError(status, body);
      if (body.complete) return this.markDone(photo, body.durable);
      offset = body.received;
      await tx(this.db, ["photos"], "readwrite", (s) => req(s.photos.put({ ...photo, started: true, received: offset })));
    }
  }

  // A sent photo stays on the phone until the server says it can no longer lose it (§7).
  async markDone(photo, durable = false) {
    await tx(this.db, ["photos"], "readwrite", (s) => req(s.photos.put({ ...photo, started: true, state: "done",
      received: photo.size, durable: !!durable })));
  }

  async checkDurable(photo) {
    try {
      const { status, body } = await this.request("GET", `/api/v1/attachments/${photo.sha256}/status`);
      if (status === 200 && body.durable) await this.markDone(photo, true);
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
    }
  }
}

// A queued create_unit whose unit the server merged into another (a redirect came back):
// its fields are no edit of the survivor.
function mergedCreate(mutation, unitId) {
  return mutation.type === "create_unit" && mutation.unit_id !== unitId;
}
