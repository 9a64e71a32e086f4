// The state schema: every setting of the page in one table (key, type, range, default,
// label, and the results that depend on it), and the three things made from it — the
// URL hash (a link reproduces a run), validation (what an input accepts is exactly
// what a link accepts), and the defaults. Plain data and pure functions: no DOM, so
// the worker, the tests (under Node) and every view read the same rules.
//
// Keys are short because they end up in slide decks: `#stage=3&lr3=0.01&ep3=4&n=200`.

/**
 * The parts of a stage a link can hide (`hide=`), in the order the embed builder lists
 * them: each is the `data-control` name of the elements it hides, and `label` its i18n
 * key. Settings' fields are named by their key; `backend` is the compute-backend picker,
 * `fingerprints` the fingerprint and check lines, `progress` the per-batch line.
 */
export const PARTS = Object.freeze([
  ['lr3', 'set.lr3'], ['ep3', 'set.ep3'], ['n', 'set.n'], ['bs', 'set.bs'], ['seed', 'set.seed'],
  ['lr4', 'set.lr4'], ['ep4', 'set.ep4'], ['backend', 'embed.part.backend'],
  ['title', 'embed.part.title'], ['what', 'embed.part.what'], ['source', 'embed.part.source'],
  ['code', 'embed.part.code'], ['charts', 'embed.part.charts'], ['log', 'embed.part.log'],
  ['layers', 'embed.part.layers'], ['fingerprints', 'embed.part.fingerprints'],
  ['progress', 'embed.part.progress'], ['downloads', 'embed.part.downloads'], ['status', 'embed.part.status'],
  ['steps', 'own.partSteps'], // the SGD-step notes beside stages 3 and 4 (www/own/steps-view.js)
  // The lesson's views (issue 12): the verdict, the sweep's settings, the image picker of
  // the feature maps and the errors view, the filters, the gallery of mistakes.
  ['verdict', 'lesson.part.verdict'], ['target', 'lesson.set.target'], ['swb', 'lesson.set.swb'],
  ['sws', 'lesson.set.sws'], ['swmax', 'lesson.set.swmax'], ['picker', 'lesson.part.picker'],
  ['filters', 'lesson.part.filters'], ['gallery', 'lesson.part.gallery'],
].map(([id, label]) => Object.freeze({ id, label })));
const PARTS_LIST = PARTS.map((p) => p.id);

/**
 * What each result kind is: `stage1`..`stage4`, `scratch` (the comparison run), the
 * data-size sweep with the lecture's budget (`sweep`) and with enough steps
 * (`sweepAdapted`), and the feature maps of one image (`features`).
 */
export const RESULT_KINDS = ['stage1', 'stage2', 'stage3', 'stage4', 'scratch', 'sweep', 'sweepAdapted', 'features'];

const TRAINED = ['stage3', 'stage4', 'scratch'];
// The sweep trains both ways at each size; the features are B's after stage 4.
const SWEEPS = ['sweep', 'sweepAdapted'];

/**
 * The settings. `label` is an i18n key (the name a learner sees, used in every
 * message about the setting); `affects` lists the results computed from it, so a
 * change marks them out of date. `max` may be a function of the environment
 * (`{available}`: how many training images the current scenario has).
 * Defaults are the lecture's (Hands-On ML ch. 11).
 */
export const SETTINGS = Object.freeze([
  // Which training images: the built-in Fashion-MNIST task B, or the learner's uploads.
  { key: 'scenario', type: 'enum', values: ['builtin', 'own'], default: 'builtin', label: 'set.scenario', affects: [...TRAINED, ...SWEEPS, 'features'] },
  { key: 'lr3', type: 'float', min: 1e-6, max: 1, default: 1e-2, label: 'set.lr3', affects: [...TRAINED, ...SWEEPS, 'features'] },
  // The sweep's lecture budget is the learner's batch size and epochs at every size;
  // its adapted budget sets them per size (www/own/adapt.js), so they do not affect it.
  { key: 'ep3', type: 'int', min: 1, max: 200, default: 4, label: 'set.ep3', affects: [...TRAINED, 'sweep', 'features'] },
  { key: 'lr4', type: 'float', min: 1e-7, max: 1, default: 1e-4, label: 'set.lr4', affects: ['stage4', ...SWEEPS, 'features'] },
  // The from-scratch run trains for ep3 + ep4 epochs: the same budget as transfer.
  { key: 'ep4', type: 'int', min: 1, max: 200, default: 16, label: 'set.ep4', affects: ['stage4', 'scratch', 'sweep', 'features'] },
  // Capped by the images the scenario has (200 built-in, or the learner's training split).
  { key: 'n', type: 'int', min: 1, max: (env) => env.available, default: 200, label: 'set.n', affects: [...TRAINED, 'features'] },
  { key: 'bs', type: 'int', min: 1, max: 1024, default: 32, label: 'set.bs', affects: [...TRAINED, 'sweep', 'features'] },
  // Fresh weights (clone_model, the new head, from-scratch B) and shuffling: same seed, same run.
  // The sweep's seeds are seed, seed + 1, ... (sws of them).
  { key: 'seed', type: 'int', min: 0, max: 2 ** 31 - 1, default: 42, label: 'set.seed', affects: ['stage1', 'stage2', ...TRAINED, ...SWEEPS, 'features'] },
  // The verdict and the sweep: the validation accuracy whose first epoch is "reached".
  // Read from stored histories at render time, so no result depends on it.
  { key: 'target', type: 'float', min: 0.5, max: 1, default: 0.95, label: 'lesson.set.target', affects: [] },
  // The sweep: which budget is shown and run (each is kept: `sweep`, `sweepAdapted`),
  // how many seeds per size, and the largest training-set size.
  { key: 'swb', type: 'enum', values: ['lecture', 'adapted'], default: 'lecture', label: 'lesson.set.swb', affects: [] },
  { key: 'sws', type: 'int', min: 1, max: 10, default: 3, label: 'lesson.set.sws', affects: SWEEPS },
  { key: 'swmax', type: 'int', min: 1, max: 1000, default: 1000, label: 'lesson.set.swmax', affects: SWEEPS },
  // Where training runs; results record it, but a backend computes the same run.
  { key: 'be', type: 'enum', values: ['auto', 'webgpu', 'cpu'], default: 'auto', label: 'set.be', affects: [] },
  // CPU workers that train together (data-parallel, www/worker-pool.js): 0 = as many as
  // the device has cores (navigator.hardwareConcurrency, at most 8), 1 = one worker.
  // Results equal the one-worker run within float rounding, so it marks nothing stale.
  { key: 'wk', type: 'int', min: 0, max: 16, default: 0, label: 'perf.wk', affects: [] },
  { key: 'lang', type: 'enum', values: ['', 'en', 'ko'], default: '', label: 'set.lang', affects: [] }, // '' = the browser's
  { key: 'theme', type: 'enum', values: ['', 'light', 'dark'], default: '', label: 'set.theme', affects: [] }, // '' = the system's
  // The section an embed shows (and the page scrolls to): a stage or a view.
  { key: 'stage', type: 'enum', values: ['1', '2', '3', '4', 'compare', 'errors', 'features', 'movement', 'sweep', 'predict', 'own'], default: '1', label: 'set.stage', affects: [] },
  { key: 'embed', type: 'bool', default: false, label: 'set.embed', affects: [] },
  // Parts to hide, from PARTS below (their `data-control` names), e.g. `hide=seed,code,log`.
  { key: 'hide', type: 'list', values: PARTS_LIST, default: [], label: 'set.hide', affects: [] },
  // The presenter scale: text size (and everything sized with it) times this. An embed's
  // base size already follows its frame; this makes it larger for the back of a hall.
  { key: 'scale', type: 'float', min: 0.5, max: 2, default: 1, label: 'embed.scale', affects: [] },
]);

export const SETTING = Object.freeze(Object.fromEntries(SETTINGS.map((s) => [s.key, s])));

/** The most CPU workers `wk = 0` (one per core) gives: each holds the model and the data. */
export const AUTO_WORKERS_MAX = 8;

/** The CPU workers setting `wk` means on a device with `cores` (navigator.hardwareConcurrency). */
export function workersFor(wk, cores) {
  const n = Math.floor(Number(wk) || 0);
  if (n > 0) return Math.min(SETTING.wk.max, n);
  return Math.max(1, Math.min(AUTO_WORKERS_MAX, Math.floor(Number(cores) || 1)));
}

/** The settings a result kind depends on, from the table's `affects` columns. */
export function dependsOn(kind) {
  return SETTINGS.filter((s) => s.affects.includes(kind)).map((s) => s.key);
}

export const DEFAULTS = Object.freeze(Object.fromEntries(SETTINGS.map((s) => [s.key, s.default])));

/** A fresh full state with the defaults. */
export function defaults() {
  return structuredClone(DEFAULTS);
}

/** The environment validation needs: images available in the scenario `state.scenario`. */
export function envFor(scenario, available) {
  return { available: scenario === 'own' ? available.own : available.builtin };
}

// A decimal number as people and `String(number)` write it: 0.01, 1e-4, 5, 2.5.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Checks one raw value (a string from an input or a link, or a value) against the
 * table. Returns `{ok: true, value}` or `{ok: false, code, params}` where `code` is
 * one of NOT_A_NUMBER, NOT_INTEGER, TOO_SMALL {min}, TOO_LARGE {max}, NOT_ONE_OF
 * {values}, BAD_LIST; the page words it with the setting's label.
 */
export function validate(key, raw, env = { available: 200 }) {
  const s = SETTING[key];
  if (!s) return { ok: false, code: 'UNKNOWN_SETTING', params: { key } };
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (s.type) {
    case 'int':
    case 'float': {
      const v = typeof text === 'number' ? text : NUMBER.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(v)) return { ok: false, code: 'NOT_A_NUMBER', params: {} };
      if (s.type === 'int' && !Number.isInteger(v)) return { ok: false, code: 'NOT_INTEGER', params: {} };
      const max = typeof s.max === 'function' ? s.max(env) : s.max;
      if (v < s.min) return { ok: false, code: 'TOO_SMALL', params: { min: s.min } };
      if (max !== undefined && max !== null && v > max) {
        return { ok: false, code: typeof s.max === 'function' ? 'TOO_MANY_IMAGES' : 'TOO_LARGE', params: { max } };
      }
      return { ok: true, value: v };
    }
    case 'enum': {
      const v = String(text);
      return s.values.includes(v) ? { ok: true, value: v } : { ok: false, code: 'NOT_ONE_OF', params: { values: s.values.filter(Boolean).join(', ') } };
    }
    case 'bool': {
      if (text === true || text === '1' || text === 'true') return { ok: true, value: true };
      if (text === false || text === '0' || text === 'false') return { ok: true, value: false };
      return { ok: false, code: 'NOT_ONE_OF', params: { values: '0, 1' } };
    }
    case 'list': {
      const items = Array.isArray(text) ? text : String(text).split(',').map((x) => x.trim()).filter(Boolean);
      // Known names only, so a typo in a link is reported rather than silently ignored.
      const unknown = items.filter((x) => !s.values.includes(x));
      return unknown.length ? { ok: false, code: 'BAD_LIST', params: { unknown: unknown.join(', ') } } : { ok: true, value: [...new Set(items)] };
    }
    default:
      return { ok: false, code: 'UNKNOWN_SETTING', params: { key } };
  }
}

/** A value as it is written in a link and shown in an input (the inverse of `validate`). */
export function format(key, v) {
  const s = SETTING[key];
  if (s.type === 'bool') return v ? '1' : '0';
  if (s.type === 'list') return v.join(',');
  return String(v);
}

/**
 * Parses `#a=1&b=2` into a full state. A value the table refuses is not silently
 * replaced: it is listed in `errors` ({key, raw, code, params}) and the default is
 * used, so the page can say which part of the link it could not use. Unknown keys
 * are listed too (code UNKNOWN_SETTING).
 */
export function parseHash(hash, env = { available: 200 }) {
  const state = defaults();
  const errors = [];
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const given = new Set();
  // The scenario first: the image count's range depends on it.
  const order = [...params].sort(([a], [b]) => (a === 'scenario' ? -1 : b === 'scenario' ? 1 : 0));
  for (const [key, raw] of order) {
    if (!(key in SETTING)) { errors.push({ key, raw, code: 'UNKNOWN_SETTING', params: { key } }); continue; }
    given.add(key);
    const r = validate(key, raw, typeof env === 'function' ? env(state) : env);
    if (r.ok) state[key] = r.value;
    else errors.push({ key, raw, code: r.code, params: r.params });
  }
  return { state, errors, given };
}

/** The hash for a state, listing only what differs from the defaults (short links). */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const s of SETTINGS) {
    const v = state[s.key];
    const same = s.type === 'list' ? v.join(',') === s.default.join(',') : v === s.default;
    if (!same) params.set(s.key, format(s.key, v));
  }
  // Commas stay commas (a fragment allows them): `hide=seed,code` reads as it is written.
  const text = params.toString().replace(/%2C/gi, ',');
  return text ? `#${text}` : '';
}

/** The settings that belong to the learner's work (saved and exported with it). */
export const PROJECT_KEYS = Object.freeze(SETTINGS.filter((s) => s.affects.length).map((s) => s.key));
