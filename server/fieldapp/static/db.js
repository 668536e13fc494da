// The phone's store: IndexedDB, one database per origin.
//
// What lives here follows docs/sync-protocol.md §1: the device id and its mutation counter,
// tokens, the outbox (never changed once sent), acknowledged answers, the cursor, the local
// copies (each unit with the last server copy beside it), redirects, reference data,
// templates and taxonomy, the engineer's own visits, photos waiting to go, notices.
// A transaction here awaits only IndexedDB requests, so it stays open to the end: a pull
// page and its cursor are saved together or not at all.

const NAME = "fieldsync";
const VERSION = 1;

export const STORES = {
  state: { keyPath: "key" },
  outbox: { keyPath: "mutation_id" },
  acked: { keyPath: "mutation_id" },
  units: { keyPath: "id" },
  visits: { keyPath: "id" },
  obstacles: { keyPath: "id" },
  redirects: { keyPath: "from" },
  reference: { keyPath: "key" }, // `${kind}:${id}`: provinces, cities, parks, templates, taxonomy
  photos: { keyPath: "sha256" },
  notices: { keyPath: "id", autoIncrement: true },
  history: { keyPath: "unit_id" },
};

export function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [name, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, options);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Run fn(stores) in one transaction over `names`; resolves with fn's result once committed.
export function tx(db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode, { durability: "strict" });
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
    Promise.resolve()
      .then(() => fn(stores, t))
      .then((value) => { result = value; })
      .catch((error) => {
        try { t.abort(); } catch (_) { /* already finished */ }
        reject(error);
      });
  });
}

export const all = (store, query) => req(store.getAll(query));
export const get = (store, key) => req(store.get(key));

export async function getState(stores, key, fallback = null) {
  const row = await get(stores.state, key);
  return row === undefined ? fallback : row.value;
}

export function setState(stores, key, value) {
  return req(stores.state.put({ key, value }));
}

export async function readState(db, key, fallback = null) {
  return tx(db, ["state"], "readonly", (s) => getState(s, key, fallback));
}
