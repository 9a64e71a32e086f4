// What the worker holds between messages: the engine module, the models and the data
// sets. One object, owned by the worker modules (worker-*.js); the page never sees it,
// only the replies.
import { pageError } from './errors.js';

export const S = {
  tp: null,              // the wasm module's exports, set by `init`
  a: null,               // model A in use
  aSource: 'builtin',    // 'builtin' | 'own'
  aId: null,             // A's weights fingerprint: results record which A they came from
  builtinA: null,        // the shipped model A, kept to switch back to it
  aMeta: null, aPredictions: null,
  taskA: null, aTaskAccuracy: null, aTaskBackend: null,
  clone: null, built: null, // stages 1 and 2 as shown (never trained)
  b: null,               // the transfer model B, built fresh by stage 3, trained by 3 and 4
  snap3: null,           // {id, weights, bytes}: B right after the stage-3 run `id` (stage 4's start)
  scratch: null,         // B's architecture trained from scratch
  builtinRaw: null,      // the built-in task-B sets as shipped (28x28x1)
  ownRaw: null,          // the learner's sets as the page sent them, or null
  ownClasses: 2,         // how many classes the learner has
  sets: { builtin: null, own: null }, // both, resized to A's input
  jobs: {},              // job name -> {run, model, stop, ...}; 'sweep' -> {stop}
  pool: null,            // {key, set}: the sweep's 1,000-image pool at A's input shape (worker-sweep.js)
};

export function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

/** FNV-1a over the bytes of every weight array: a short fingerprint of a model's state. */
export function fingerprint(weights) {
  let h = 0x811c9dc5;
  for (const w of weights) {
    const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    for (let i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The first `n` examples of a set (training on fewer images). */
export function take(set, n) {
  n = Math.min(n, set.count);
  const per = set.x.data.length / set.count;
  return {
    ...set,
    count: n,
    x: { data: set.x.data.subarray(0, n * per), shape: [n, ...set.x.shape.slice(1)] },
    y: { data: set.y.data.subarray(0, n), shape: [n] },
  };
}

/**
 * The new output layer for a scenario: two classes keep the lecture's Dense(1, sigmoid)
 * with binary cross-entropy; more get Dense(N, softmax) with sparse categorical
 * cross-entropy (labels are class indices).
 */
export function headFor(scenario) {
  const k = scenario === 'own' ? S.ownClasses : 2;
  return k === 2
    ? { units: 1, activation: 'sigmoid', loss: 'binaryCrossentropy' }
    : { units: k, activation: 'softmax', loss: 'sparseCategoricalCrossentropy' };
}

/** The data sets of a scenario ('builtin' | 'own'), at A's input shape. */
export function setsFor(scenario) {
  const sets = S.sets[scenario === 'own' ? 'own' : 'builtin'];
  if (!sets) throw pageError('NO_OWN_IMAGES');
  return sets;
}

export function counts(scenario) {
  const s = S.sets[scenario];
  return s ? { train: s.train.count, valid: s.valid.count, test: s.test.count } : null;
}

export function allCounts() {
  return { builtin: counts('builtin'), own: counts('own') };
}

const turns = new MessageChannel();
const waitingTurns = [];
turns.port1.onmessage = () => waitingTurns.shift()?.();

/**
 * A turn for the worker's other tasks (a 'stop' message, a request) between two
 * batches or two images: a task of its own, posted through a MessageChannel, so it runs after the
 * messages already waiting. A timer would give the same turn, but nested timers are
 * clamped to 4 ms: the lecture's stages 3 + 4 (160 steps) took 0.6 s longer in the tab
 * than their compute.
 */
export function nextTask() {
  return new Promise((resolve) => {
    waitingTurns.push(resolve);
    turns.port2.postMessage(null);
  });
}
