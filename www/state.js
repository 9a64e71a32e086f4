// The one State object and its URL-hash form. Every control reads from and writes to
// this object; the hash is the serialised copy, so a link (or an embed iframe)
// reproduces the same scenario, stage, hyper-parameters, seed and language.
//
// Keys are short because they end up in slide decks: `#stage=3&lr3=0.01&ep3=4&n=200`.

/** Defaults are the lecture's (Hands-On ML ch. 11). */
export const DEFAULTS = Object.freeze({
  scenario: 'builtin', // 'builtin' (Fashion-MNIST task B) | 'own' (the learner's uploads)
  stage: 1,            // the stage an embed shows (1..4) or the page scrolls to
  lr3: 1e-2,           // stage 3: SGD learning rate with the base frozen
  ep3: 4,              // stage 3: epochs
  lr4: 1e-4,           // stage 4: SGD learning rate after unfreezing
  ep4: 16,             // stage 4: epochs
  n: 200,              // training images used (of the 200 built-in)
  bs: 32,              // batch size (Keras' default)
  seed: 42,            // shuffling and fresh-weight seed: same seed, same run
  be: 'auto',          // compute backend: 'auto' (WebGPU if there is an adapter) | 'webgpu' | 'cpu'
  lang: '',            // '' = from navigator.language
  theme: '',           // '' = from prefers-color-scheme | 'light' | 'dark'
  embed: false,        // compact single-stage view
  hide: [],            // control ids to hide, e.g. ['lr3', 'n']
});

const NUMBER_LIMITS = {
  stage: [1, 4], lr3: [1e-6, 1], ep3: [1, 200], lr4: [1e-7, 1], ep4: [1, 200], n: [1, 100000], bs: [1, 1024], seed: [0, 2 ** 31],
};
const INTEGER = new Set(['stage', 'ep3', 'ep4', 'n', 'bs', 'seed']);

/** Parses `#a=1&b=2` into a full state; unknown keys and bad values fall back to defaults. */
export function parseHash(hash) {
  const state = structuredClone(DEFAULTS);
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  for (const [key, raw] of params) {
    if (!(key in DEFAULTS)) continue;
    if (key in NUMBER_LIMITS) {
      const v = Number(raw);
      const [lo, hi] = NUMBER_LIMITS[key];
      if (Number.isFinite(v) && v >= lo && v <= hi) state[key] = INTEGER.has(key) ? Math.round(v) : v;
    } else if (key === 'embed') {
      state.embed = raw === '1' || raw === 'true';
    } else if (key === 'hide') {
      state.hide = raw.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (key === 'scenario') {
      if (raw === 'builtin' || raw === 'own') state.scenario = raw;
    } else if (key === 'be') {
      if (raw === 'auto' || raw === 'webgpu' || raw === 'cpu') state.be = raw;
    } else if (key === 'lang') {
      if (raw === 'en' || raw === 'ko') state.lang = raw;
    } else if (key === 'theme') {
      if (raw === 'light' || raw === 'dark') state.theme = raw;
    }
  }
  return state;
}

/** The hash for a state, listing only what differs from the defaults (short links). */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const v = state[key];
    const d = DEFAULTS[key];
    if (key === 'hide') {
      if (v.length) params.set('hide', v.join(','));
    } else if (key === 'embed') {
      if (v) params.set('embed', '1');
    } else if (v !== d) {
      params.set(key, String(v));
    }
  }
  const s = params.toString();
  return s ? `#${s}` : '';
}

/** A tiny observable store: `set` merges, writes the hash, and tells listeners. */
export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      const hash = toHash(state);
      if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
      listeners.forEach((f) => f(state, patch));
    },
    subscribe(f) { listeners.add(f); return () => listeners.delete(f); },
  };
}
