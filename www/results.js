// Results with their provenance. Each record says what it was computed from: the
// settings its kind depends on (state.js's `affects` column), the model A and the data
// (`inputs`: A's weights fingerprint, the data set's id) and the upstream results
// (stage 4 continues one stage-3 run). `staleness` compares that with now, so a view
// can mark a result out of date and say why, instead of showing it as current.
import { dependsOn, RESULT_KINDS } from './state.js';

/**
 * Which inputs each kind depends on besides settings, and which upstream results.
 * `head`: the new output layer's units (1, or the learner's number of classes);
 * `classes`: the learner's class names and image counts when trained on them, kept to
 * say what a result was trained on (the data id decides whether it is current).
 */
const KIND = {
  stage1: { inputs: ['aId'], upstream: [] },
  stage2: { inputs: ['aId', 'head'], upstream: [] },
  stage3: { inputs: ['aId', 'dataId', 'classes'], upstream: [] },
  stage4: { inputs: ['aId', 'dataId', 'classes'], upstream: ['stage3'] },
  scratch: { inputs: ['aId', 'dataId', 'classes'], upstream: [] },
  sweep: { inputs: ['aId', 'dataId', 'classes'], upstream: [] },
  sweepAdapted: { inputs: ['aId', 'dataId', 'classes'], upstream: [] },
  // What the layers of A and of B after stage 4 see of one image.
  features: { inputs: ['aId', 'dataId', 'classes'], upstream: ['stage4'] },
};

let counter = 0;

/** A new record for `kind` computed now from `state`, `inputs` and the current upstream records. */
export function makeRecord(kind, { state, inputs, results }, value) {
  const settings = Object.fromEntries(dependsOn(kind).map((k) => [k, state[k]]));
  const ins = Object.fromEntries(KIND[kind].inputs.map((k) => [k, inputs[k]]));
  const upstream = Object.fromEntries(KIND[kind].upstream.map((k) => [k, results.get(k)?.id ?? null]));
  const id = `${kind}-${Date.now().toString(36)}-${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { kind, id, at: new Date().toISOString(), settings, inputs: ins, upstream, value };
}

/**
 * Why `record` no longer matches the page: a list of
 * `{type: 'setting', key, was, now}`, `{type: 'model'}`, `{type: 'data', was?, now?}`
 * (the classes before and now, when both are the learner's), `{type: 'head'}` or
 * `{type: 'upstream', kind}`; empty when the record is current.
 */
export function staleness(record, { state, inputs, results }) {
  if (!record) return [];
  const out = [];
  for (const [key, was] of Object.entries(record.settings)) {
    if (JSON.stringify(state[key]) !== JSON.stringify(was)) out.push({ type: 'setting', key, was, now: state[key] });
  }
  if ('aId' in record.inputs && record.inputs.aId !== inputs.aId) out.push({ type: 'model' });
  if ('dataId' in record.inputs && record.inputs.dataId !== inputs.dataId && !out.some((r) => r.key === 'scenario')) {
    const was = record.inputs.classes;
    out.push(was && inputs.classes ? { type: 'data', was, now: inputs.classes } : { type: 'data' });
  }
  if ('head' in record.inputs && record.inputs.head !== inputs.head && !out.some((r) => r.key === 'scenario')) out.push({ type: 'head' });
  for (const [kind, id] of Object.entries(record.upstream)) {
    const up = results.get(kind);
    // A changed upstream setting is already listed above; a re-run upstream is not.
    if (!up || up.id !== id) out.push({ type: 'upstream', kind });
  }
  return out;
}

/** The records, one per kind (the latest run), observable. */
export function createResults() {
  const records = new Map();
  const listeners = new Set();
  const tell = () => listeners.forEach((f) => f());
  return {
    get: (kind) => records.get(kind) ?? null,
    all: () => RESULT_KINDS.map((k) => records.get(k)).filter(Boolean),
    put(record) { records.set(record.kind, record); tell(); },
    drop(kind) { if (records.delete(kind)) tell(); },
    /** Replaces everything (a restored or imported project). */
    load(list) {
      records.clear();
      for (const r of list || []) if (KIND[r.kind]) records.set(r.kind, r);
      tell();
    },
    subscribe(f) { listeners.add(f); return () => listeners.delete(f); },
  };
}
