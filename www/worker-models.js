// Models in the worker: model A (built-in or the learner's), the clone and B of stages
// 1 and 2, the trained B with its post-stage-3 snapshot, B from scratch; their bytes
// for saving and downloads, and `restore`, which rebuilds all of them from saved bytes
// (after a reload, an import, or a replaced engine).
import { S, fingerprint, take, allCounts, setsFor, headFor } from './worker-session.js';
import { adaptSets } from './worker-data.js';
import { computeBackend, evaluateOn, noteFallback } from './worker-gpu.js';
import { pageError } from './errors.js';

// A's predictions on the first 256 test images: "A is untouched" means these and
// its weights are bit-for-bit the same at the end. Always on the CPU: a fingerprint
// compares bits, and the GPU's rounding may differ from the CPU's in the last bit.
function aPredictionPrint() {
  const t = take(S.sets.builtin.test, 256);
  return fingerprint([S.a.predict(t.x)]);
}

/**
 * The built-in A's accuracy on its own task (the 1,000-image sample of task A's test
 * split), measured on the current backend: the same figure before and after the
 * procedure is the lecture's point that B's training never touched A.
 */
async function aTaskAccuracy() {
  if (S.aSource !== 'builtin' || !S.taskA) return null;
  // evaluate() needs a loss, as in Keras; compiling changes no weight.
  S.a.compile({ optimizer: 'sgd', learningRate: 0.01, loss: 'sparseCategoricalCrossentropy' });
  return evaluateOn(S.a, S.taskA);
}

export function describeA() {
  const [total, trainable, frozen] = S.a.countParams();
  return {
    name: S.a.name, source: S.aSource, rows: S.a.summaryRows(), inputShape: S.a.inputShape, outputShape: S.a.outputShape,
    params: { total, trainable, frozen }, meta: S.aSource === 'builtin' ? S.aMeta : null,
    classNames: S.aSource === 'own' ? S.a.classNames ?? null : null, // as its .keras file lists them
    fingerprint: S.aId, predictions: S.aPredictions,
    taskAccuracy: S.aTaskAccuracy, taskBackend: S.aTaskBackend, taskImages: S.taskA?.count ?? 0,
  };
}

/** Makes `model` model A: every model built from the previous A is dropped. */
export async function setA(model, source) {
  if (model.inputShape.length !== 3 || ![1, 3].includes(model.inputShape[2])) {
    throw pageError('BAD_MODEL_A', { shape: JSON.stringify(model.inputShape) });
  }
  if (S.a && S.a !== S.builtinA && S.a !== model) S.a.free();
  S.a = model;
  S.aSource = source;
  adaptSets();
  S.clone = S.built = S.b = S.snap3 = S.scratch = null;
  S.aId = fingerprint(S.a.getWeights());
  S.aPredictions = aPredictionPrint();
  const task = await aTaskAccuracy();
  S.aTaskAccuracy = task?.accuracy ?? null;
  S.aTaskBackend = task?.backend ?? null;
}

/** keras.models.clone_model(A) + set_weights, from the seed (fresh weights are drawn). */
function cloneA(seed) {
  S.tp.setRandomSeed(seed);
  const clone = S.tp.cloneModel(S.a);
  const fresh = fingerprint(clone.getWeights());
  clone.setWeights(S.a.getWeights());
  return { clone, fresh };
}

/**
 * B = Sequential(clone.layers[:-1]) + the new output layer: Dense(1, sigmoid) for two
 * classes (the lecture's), Dense(N, softmax) for N > 2 (`headFor`). What stage 3 starts from.
 */
export function buildB(seed, head = headFor('builtin')) {
  const { clone, fresh } = cloneA(seed);
  const b = S.tp.sequential(clone.layers.slice(0, -1));
  b.add({ className: 'Dense', units: head.units, activation: head.activation });
  return { clone, b, fresh };
}

/**
 * A `.keras` archive of `m`, with the class names in its `metadata.json`
 * (`toKeras({classNames})`, www/API.md). Names that do not fit the output layer (one
 * per unit; two for a one-unit sigmoid) are left out rather than fail a save.
 */
export function kerasBytes(m, classNames) {
  const units = m.outputShape[m.outputShape.length - 1];
  const fits = classNames?.length === (units === 1 ? 2 : units);
  return fits ? m.toKeras({ classNames }) : m.toKeras();
}

/** The names of `which`'s classes when the page gives none: the built-in A's, from its metadata. */
// Model A's own class names: the built-in A's, or those its Keras file listed.
const defaultNames = (which) => (which !== 'a' ? undefined : S.aSource === 'builtin' ? S.aMeta?.class_names : S.a.classNames ?? undefined);

/**
 * The labels file written beside a TF.js export, as Teachable Machine's metadata.json
 * (`labels[i]` names output i; a one-unit sigmoid output is P(labels[1])).
 */
function tfjsMetadata(m, which, classNames) {
  const [h, w, c] = m.inputShape;
  const labels = classNames ?? defaultNames(which) ?? [];
  const units = m.outputShape[m.outputShape.length - 1];
  return {
    labels, modelName: m.name, timeStamp: new Date().toISOString(),
    packageName: 'transfer-playground', packageVersion: S.tp.version(),
    imageSize: h === w ? h : undefined, inputShape: [h, w, c],
    output: units === 1 ? 'sigmoid: P(labels[1])' : 'softmax over labels',
    preprocessing: 'centre crop to the input aspect ratio, area averaging, BT.601 luma for 1 channel, values in [0, 1]',
  };
}

function modelFor(which) {
  const m = { a: S.a, b: S.b, scratch: S.scratch }[which];
  if (!m) throw pageError('NOT_TRAINED', { which });
  return m;
}

export const modelCommands = {
  /** A TF.js layers model the learner picked (model.json text + weights bytes). */
  async loadTfjs({ json, weights }) {
    await setA(S.tp.loadLayersModel(json, weights), 'own');
    return { a: describeA(), counts: allCounts() };
  },

  /** A Keras file the learner picked: legacy `.h5` or a Keras 3 `.keras` archive. */
  async loadKeras({ bytes }) {
    await setA(S.tp.loadKerasModel(bytes), 'own');
    return { a: describeA(), counts: allCounts() };
  },

  async useBuiltinA() {
    await setA(S.builtinA, 'builtin');
    return { a: describeA(), counts: allCounts() };
  },

  /**
   * Rebuilds the session from saved bytes (`.keras` archives): `a` (null = built-in),
   * then the trained models. Returns what it holds, so the page knows which results
   * still have their model.
   */
  async restore({ a, models = {} }) {
    if (a) await setA(S.tp.loadKerasModel(a), 'own');
    else if (S.a !== S.builtinA) await setA(S.builtinA, 'builtin');
    else S.b = S.snap3 = S.scratch = null;
    if (models.b) S.b = S.tp.loadKerasModel(models.b.bytes);
    if (models.scratch) S.scratch = S.tp.loadKerasModel(models.scratch.bytes);
    if (models.snap3 && S.b) {
      const m = S.tp.loadKerasModel(models.snap3.bytes);
      S.snap3 = { id: models.snap3.id, weights: m.getWeights(), bytes: models.snap3.bytes };
      m.free();
    }
    return { a: describeA(), counts: allCounts(), have: { b: !!S.b, snap3: S.snap3?.id ?? null, scratch: !!S.scratch } };
  },

  /** A model as `.keras` bytes, for saving: 'a', 'b', 'scratch' or 'snap3' (with `classNames` if given). */
  modelBytes({ which, classNames }) {
    if (which === 'snap3') {
      if (!S.snap3) throw pageError('NOT_TRAINED', { which });
      return { bytes: S.snap3.bytes, id: S.snap3.id };
    }
    return { bytes: kerasBytes(modelFor(which), classNames ?? defaultNames(which)) };
  },

  /**
   * A model in a downloadable format: `which` is 'a', 'b' or 'scratch'; `format` is
   * 'keras' (.keras), 'h5' (legacy HDF5) or 'tfjs' (model.json + weights.bin +
   * metadata.json with the labels). `classNames`: the names of the model's classes.
   */
  exportModel({ which, format, classNames }) {
    const m = modelFor(which);
    const stem = which === 'a' ? 'model_A' : which === 'b' ? 'model_B_on_A' : 'model_B_scratch';
    if (format === 'keras') return { files: [{ name: `${stem}.keras`, bytes: kerasBytes(m, classNames ?? defaultNames(which)) }] };
    if (format === 'h5') return { files: [{ name: `${stem}.h5`, bytes: m.toH5() }] };
    const t = m.toTfjs();
    const meta = JSON.stringify(tfjsMetadata(m, which, classNames), null, 1);
    return { files: [{ name: 'model.json', text: t.modelJson }, { name: 'weights.bin', bytes: t.weights }, { name: 'metadata.json', text: meta }] };
  },

  /** Stage 1: clone_model(A) + set_weights(A.get_weights()), fresh weights from `seed`. */
  stage1({ seed }) {
    const { clone, fresh } = cloneA(seed);
    S.clone = clone;
    return {
      aIds: S.a.layers.map((l) => l.id), cloneIds: clone.layers.map((l) => l.id),
      rows: clone.summaryRows(), freshFingerprint: fresh,
      aFingerprint: fingerprint(S.a.getWeights()), cloneFingerprint: fingerprint(clone.getWeights()),
    };
  },

  /** Stage 2: B = Sequential(clone.layers[:-1]) + the new output layer, as stage 3 will build it for `scenario`. */
  stage2({ seed, scenario }) {
    const { clone, b } = buildB(seed, headFor(scenario));
    S.clone = clone;
    S.built = b;
    const cloneIds = clone.layers.map((l) => l.id);
    return { rows: b.summaryRows(), cloneIds, sharedIds: b.layers.map((l) => cloneIds.includes(l.id)) };
  },

  /** Test accuracy of 'b' or 'scratch' on a scenario's test set. */
  evaluate({ which, scenario }) {
    return evaluateOn(modelFor(which), setsFor(scenario).test);
  },

  /** Is A untouched? Its weights and its predictions, compared with load time. */
  async checkA() {
    const fp = fingerprint(S.a.getWeights());
    const pred = aPredictionPrint();
    const task = S.aTaskAccuracy === null ? null : await aTaskAccuracy();
    const taskAfter = task?.accuracy ?? null;
    // One backend measures the same weights to the same accuracy; across backends
    // (the learner switched, or the GPU was lost) rounding may move an example near
    // the boundary, so there the bit-exact fingerprints alone decide.
    const sameTask = taskAfter === S.aTaskAccuracy || task?.backend !== S.aTaskBackend;
    return {
      before: S.aId, after: fp, predBefore: S.aPredictions, predAfter: pred,
      taskBefore: S.aTaskAccuracy, taskAfter, taskBackendBefore: S.aTaskBackend, taskBackendAfter: task?.backend ?? null,
      untouched: fp === S.aId && pred === S.aPredictions && sameTask,
    };
  },

  /**
   * The probability of each class from B (after transfer) and from scratch for one
   * image, and the backend: `{b?: [p0, p1, ...], scratch?: [...], backend}`. A one-unit
   * sigmoid output p is [1 - p, p].
   */
  async predict({ data }) {
    const shape = [1, ...S.a.inputShape];
    const out = {};
    for (const [k, m] of [['b', S.b], ['scratch', S.scratch]]) {
      if (!m) continue;
      const p = noteFallback(await m.predictAsync({ data, shape }, { backend: computeBackend() }));
      out[k] = p.data.length === 1 ? [1 - p.data[0], p.data[0]] : Array.from(p.data);
      out.backend = p.backend;
    }
    return out;
  },
};
