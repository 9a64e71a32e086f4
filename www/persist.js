// The learner's work in IndexedDB, saved as it is made and read back on load. Nothing
// here throws: a storage failure (no IndexedDB, private mode, quota full) is reported
// once per kind through `onError` as an error value (STORAGE_UNAVAILABLE,
// STORAGE_QUOTA, STORAGE_FAILED) and the page goes on without saving.
//
// Schema (database "transfer-playground", version 1):
//   meta     key 'project' -> {format, version, savedAt, settings, aSource, aName, classes}
//   results  key = kind    -> a results.js record (settings, inputs, upstream, value)
//   images   keyPath 'id'  -> {id, label, name, width, height, shape, data: Float32Array,
//                              preview: Uint8ClampedArray (RGBA of what the model sees)}
//   models   key = name    -> {bytes: Uint8Array (.keras), id?}: 'a' (the learner's A),
//                              'b', 'snap3' (B after stage 3, id = that run), 'scratch'

const DB_NAME = 'transfer-playground';
const VERSION = 1;
const STORES = ['meta', 'results', 'images', 'models'];

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function errorValue(err) {
  const name = err?.name || '';
  if (name === 'QuotaExceededError') return { code: 'STORAGE_QUOTA', params: {}, message: String(err?.message || name) };
  return { code: 'STORAGE_FAILED', params: { detail: `${name}: ${err?.message || err}` }, message: String(err?.message || err) };
}

async function open() {
  if (typeof indexedDB === 'undefined' || !indexedDB) throw Object.assign(new Error('IndexedDB is not available'), { name: 'Unavailable' });
  const r = indexedDB.open(DB_NAME, VERSION);
  r.onupgradeneeded = () => {
    const db = r.result;
    for (const s of STORES) {
      if (!db.objectStoreNames.contains(s)) db.createObjectStore(s, s === 'images' ? { keyPath: 'id' } : undefined);
    }
  };
  return request(r);
}

/**
 * Opens the database; `enabled: false` gives a store that keeps nothing (embeds);
 * `writable: false` one that reads what is saved but writes nothing (a second tab:
 * see main.js's `claimProject`).
 */
export async function openPersistence({ onError, enabled = true, writable = true }) {
  let db = null;
  const told = new Set();
  const fail = (v) => {
    if (!told.has(v.code)) { told.add(v.code); onError(v); }
  };
  if (enabled) {
    try {
      db = await open();
    } catch (err) {
      fail({ code: 'STORAGE_UNAVAILABLE', params: { detail: `${err?.name || ''}: ${err?.message || err}` }, message: String(err?.message || err) });
    }
  }

  /** Runs `fn(stores)` in one transaction; resolves to its value, or undefined on failure. */
  async function tx(names, mode, fn) {
    if (!db) return undefined;
    try {
      const t = db.transaction(names, mode);
      const done = new Promise((resolve, reject) => {
        t.oncomplete = resolve;
        t.onerror = () => reject(t.error);
        t.onabort = () => reject(t.error || new Error('transaction aborted'));
      });
      done.catch(() => {}); // awaited below; a failing request also rejects fn first
      const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
      const value = await fn(stores);
      await done;
      return value;
    } catch (err) {
      fail(errorValue(err));
      return undefined;
    }
  }

  const write = (f) => (writable ? f : async () => undefined);

  return {
    get available() { return !!db; },
    /** Everything saved, or null when nothing is. */
    async load() {
      const r = await tx(STORES, 'readonly', async (s) => ({
        meta: await request(s.meta.get('project')),
        results: await request(s.results.getAll()),
        images: await request(s.images.getAll()),
        models: Object.fromEntries(await Promise.all((await request(s.models.getAllKeys())).map(async (k) => [k, await request(s.models.get(k))]))),
      }));
      return r && (r.meta || r.results.length || r.images.length || Object.keys(r.models).length) ? r : null;
    },
    saveMeta: write((meta) => tx(['meta'], 'readwrite', (s) => request(s.meta.put(meta, 'project')))),
    saveResults: write((records) => tx(['results'], 'readwrite', async (s) => {
      await request(s.results.clear());
      for (const r of records) await request(s.results.put(r, r.kind));
    })),
    putImages: write((images) => tx(['images'], 'readwrite', async (s) => { for (const im of images) await request(s.images.put(im)); })),
    deleteImage: write((id) => tx(['images'], 'readwrite', (s) => request(s.images.delete(id)))),
    putModel: write((name, value) => tx(['models'], 'readwrite', (s) => request(s.models.put(value, name)))),
    deleteModel: write((name) => tx(['models'], 'readwrite', (s) => request(s.models.delete(name)))),
    clear: write(() => tx(STORES, 'readwrite', async (s) => { for (const n of STORES) await request(s[n].clear()); })),
  };
}
