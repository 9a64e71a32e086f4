// The Web Worker that owns the engine: it loads the wasm module, keeps the models
// (A, its clone, B, B-from-scratch) and the data sets, and runs every heavy job, so the
// page stays responsive. Messages:
//   in:  {id, cmd, args}
//   out: {id, ok: true, result} | {id, ok: false, error}   (one answer per request)
//        {type: 'progress', job, event}                    (training and image progress)
// Training is a resumable wasm FitRun: one batch per step, then a yield to the event
// loop, so a 'stop' message is seen between batches and 'resume' continues the same run.
// On WebGPU (WebGPU works in dedicated workers) a step returns a Promise; if the device
// is lost mid-training the run goes on on the CPU and its step says so (`fallback`).
// Test accuracies and predictions run where training runs (`evaluateAsync`,
// `predictAsync`); each result says which backend computed it.

import init, * as tp from './pkg/transfer_playground.js';
import { toModelInput } from './image.js';

// Uploads above these sizes are skipped (named) instead of risking the tab's memory.
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_PIXELS = 120e6;

// The compute backend: what the learner chose ('auto' | 'webgpu' | 'cpu') and what runs.
const GPU = {
  choice: 'auto',
  adapter: null,   // initGpu()'s answer when it found one
  reason: null,    // why there is no GPU (no WebGPU, no adapter, device lost)
  // Read the GPU state back (a checkpoint) every 16 batches and at each epoch end:
  // rarely enough not to stall the GPU, often enough that a lost device costs at most
  // 16 steps, which the CPU then redoes from the checkpoint.
  checkpointEvery: 16,
};

const S = {
  a: null, aMeta: null, aFingerprint: null, aPredictions: null,
  clone: null, b: null, scratch: null,
  taskA: null, aTaskAccuracy: null, // task A's test sample and the built-in A's accuracy on it
  aTaskBackend: null,    // the backend that measured aTaskAccuracy
  data: null,            // {train, valid, test}: loadImageSet results (or the learner's)
  builtin: null,         // the built-in task-B sets at A's input shape, kept when the learner switches
  builtinRaw: null,      // the built-in task-B sets as shipped (28x28x1)
  jobs: {},              // name -> {run, model, stop, fp}
};

// ---- helpers --------------------------------------------------------------------

/** FNV-1a over the bytes of every weight array: a short fingerprint of a model's state. */
function fingerprint(weights) {
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

function layerWeights(model, upTo) {
  return model.layers.slice(0, upTo).flatMap((l) => l.getWeights());
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The first `n` examples of a set (training on fewer images). */
function take(set, n) {
  n = Math.min(n, set.count);
  const per = set.x.data.length / set.count;
  return {
    ...set,
    count: n,
    x: { data: set.x.data.subarray(0, n * per), shape: [n, ...set.x.shape.slice(1)] },
    y: { data: set.y.data.subarray(0, n), shape: [n] },
  };
}

function rows(model) {
  return model.summaryRows();
}

// A's predictions on the first 256 test images: "A is untouched" means these and
// its weights are bit-for-bit the same at the end. Always on the CPU: a fingerprint
// compares bits, and the GPU's rounding may differ from the CPU's in the last bit.
function aPredictionPrint() {
  const t = take(S.builtin.test, 256);
  if (t.x.shape[1] !== S.a.inputShape[0] || t.x.shape[2] !== S.a.inputShape[1] || t.x.shape[3] !== S.a.inputShape[2]) return null;
  return fingerprint([S.a.predict(t.x)]);
}

function describeA() {
  const [total, trainable, frozen] = S.a.countParams();
  return {
    name: S.a.name, rows: rows(S.a), inputShape: S.a.inputShape, outputShape: S.a.outputShape,
    params: { total, trainable, frozen }, summary: S.a.summary(), meta: S.aMeta,
    fingerprint: S.aFingerprint, predictions: S.aPredictions,
    taskAccuracy: S.aTaskAccuracy, taskBackend: S.aTaskBackend, taskImages: S.taskA?.count ?? 0,
  };
}

/**
 * The lecture's preprocessing rule: the built-in images are resized to model A's input
 * size and channel count (e.g. 28x28x1 -> 64x64x3) when A expects another shape.
 */
function adaptBuiltin() {
  const [h, w, c] = S.a.inputShape;
  const fit = (set) => {
    const [, sh, sw, sc] = set.x.shape;
    if (sh === h && sw === w && sc === c) return set;
    return { ...set, height: h, width: w, channels: c, x: tp.resizeImages(set.x, h, w, c) };
  };
  const own = S.data && S.data !== S.builtin;
  S.builtin = { train: fit(S.builtinRaw.train), valid: fit(S.builtinRaw.valid), test: fit(S.builtinRaw.test) };
  // The learner's images were resized for the previous model A: back to the built-in set.
  const ownFits = own && S.data.train.x.shape.slice(1).join() === [h, w, c].join();
  if (!ownFits) S.data = S.builtin;
}

async function setA(model, meta) {
  if (model.inputShape.length !== 3 || ![1, 3].includes(model.inputShape[2])) {
    throw new Error(`this page needs a model A that takes images [height, width, 1 or 3 channels]; this one takes ${JSON.stringify(model.inputShape)}`);
  }
  S.a = model;
  S.aMeta = meta;
  adaptBuiltin();
  S.clone = S.b = S.scratch = null;
  S.aFingerprint = fingerprint(S.a.getWeights());
  S.aPredictions = aPredictionPrint();
  const task = await aTaskAccuracy();
  S.aTaskAccuracy = task?.accuracy ?? null;
  S.aTaskBackend = task?.backend ?? null;
}

/**
 * The built-in A's accuracy on its own task (the 1,000-image sample of task A's test
 * split), measured now on the current backend: the same figure before and after the
 * procedure is the lecture's point that B's training never touched A. `{accuracy,
 * backend}`, or `null` for a model the learner loaded.
 */
async function aTaskAccuracy() {
  if (!S.aMeta || !S.taskA) return null;
  // evaluate() needs a loss, as in Keras; compiling changes no weight.
  S.a.compile({ optimizer: 'sgd', learningRate: 0.01, loss: 'sparseCategoricalCrossentropy' });
  return evaluateOn(S.a, S.taskA);
}

/** Where test accuracies and predictions run: where training would run now. */
function computeBackend() {
  return gpuActive() ? 'webgpu' : 'cpu';
}

/**
 * A result computed on the CPU although the GPU was asked for (the device was lost):
 * noted like a fit's fallback, so the page's backend badge says so.
 */
function noteFallback(r) {
  if (r.fallback) {
    GPU.reason = r.fallback;
    post({ type: 'backend', info: backendInfo() });
  }
  return r;
}

/** `{loss, accuracy, backend}` of a model on a set, on the current backend. */
async function evaluateOn(model, set) {
  const r = noteFallback(await model.evaluateAsync(set.x, set.y, { backend: computeBackend() }));
  return { loss: r.loss, accuracy: r.accuracy, backend: r.backend };
}

/** The adapter's label: its description, else vendor and architecture from GPUAdapterInfo. */
async function adapterLabel(info) {
  let label = info.name;
  try {
    const a = await navigator.gpu?.requestAdapter();
    const i = a?.info;
    if (!label && i) label = [i.vendor, i.architecture, i.device].filter(Boolean).join(' ');
  } catch { /* the label is cosmetic */ }
  return (label || 'WebGPU adapter') + (info.isFallbackAdapter ? ' (software fallback adapter)' : '');
}

/** Opens (or drops) the GPU for the learner's choice; returns what the page shows. */
async function chooseBackend(choice) {
  GPU.choice = choice;
  GPU.adapter = null;
  if (choice !== 'cpu') {
    const info = await tp.initGpu();
    if (info.ok) GPU.adapter = { ...info, label: await adapterLabel(info) };
    else GPU.reason = info.reason;
  }
  return backendInfo();
}

/**
 * Whether training runs on the GPU. 'auto' skips a software fallback adapter (such as
 * SwiftShader): on a machine without a GPU the CPU path is many times faster.
 */
function gpuActive() {
  if (!GPU.adapter || !tp.backends().gpuReady || GPU.choice === 'cpu') return false;
  return GPU.choice === 'webgpu' || !GPU.adapter.isFallbackAdapter;
}

function backendInfo() {
  const gpu = gpuActive();
  const software = GPU.adapter?.isFallbackAdapter && GPU.choice === 'auto';
  return {
    choice: GPU.choice,
    active: gpu ? 'webgpu' : 'cpu',
    adapter: GPU.adapter && GPU.choice !== 'cpu' ? GPU.adapter.label : null,
    isFallbackAdapter: GPU.adapter ? GPU.adapter.isFallbackAdapter : null,
    // A reason is shown when the learner wanted a GPU and runs on the CPU.
    reason: gpu || GPU.choice === 'cpu' ? null
      : software ? 'only a software WebGPU adapter, slower than the CPU path here; choose WebGPU to use it anyway'
      : (GPU.reason || tp.backends().reason || 'no WebGPU adapter'),
  };
}

// ---- commands ---------------------------------------------------------------------

const commands = {
  async init({ base, backend }) {
    await init({ module_or_path: new URL('./pkg/transfer_playground_bg.wasm', base) });
    const url = (p) => new URL(p, base).href;
    const [json, weights, meta, tr, va, te, ta] = await Promise.all([
      fetch(url('assets/model-a/model.json')).then((r) => r.text()),
      fetchBytes(url('assets/model-a/weights.bin')),
      fetch(url('assets/model-a/metadata.json')).then((r) => r.json()),
      fetchBytes(url('assets/task-b/train.tpds')),
      fetchBytes(url('assets/task-b/valid.tpds')),
      fetchBytes(url('assets/task-b/test.tpds')),
      fetchBytes(url('assets/model-a/test-sample.tpds')),
    ]);
    S.taskA = tp.loadImageSet(ta);
    S.builtinRaw = { train: tp.loadImageSet(tr), valid: tp.loadImageSet(va), test: tp.loadImageSet(te) };
    S.builtin = S.data = S.builtinRaw;
    // The backend first: A's accuracy on its own task is measured where training runs.
    const be = await chooseBackend(backend || 'auto');
    await setA(tp.loadLayersModel(json, weights), meta);
    return { backend: be, version: tp.version(), a: describeA(), counts: counts() };
  },

  /** The learner's backend choice ('auto' | 'webgpu' | 'cpu'), from the State. */
  backend({ choice }) {
    return chooseBackend(choice);
  },

  /** Test hook: lose the GPU device (as a driver reset would). */
  simulateDeviceLoss() {
    return tp.__simulateDeviceLoss();
  },

  /** A TF.js layers model the learner picked (model.json text + weights bytes). */
  async loadTfjs({ json, weights }) {
    await setA(tp.loadLayersModel(json, weights), null);
    return { a: describeA(), counts: counts() };
  },

  /** A Keras file the learner picked: legacy `.h5` or a Keras 3 `.keras` archive. */
  async loadKeras({ bytes }) {
    await setA(tp.loadKerasModel(bytes), null);
    return { a: describeA(), counts: counts() };
  },

  /**
   * A model in a downloadable format: `which` is 'a', 'b' or 'scratch'; `format` is
   * 'keras' (.keras), 'h5' (legacy HDF5) or 'tfjs' (model.json + weights.bin).
   */
  exportModel({ which, format }) {
    const m = { a: S.a, b: S.b, scratch: S.scratch }[which];
    if (!m) throw new Error('NOT_TRAINED');
    const stem = which === 'a' ? 'model_A' : which === 'b' ? 'model_B_on_A' : 'model_B_scratch';
    if (format === 'keras') return { files: [{ name: `${stem}.keras`, bytes: m.toKeras() }] };
    if (format === 'h5') return { files: [{ name: `${stem}.h5`, bytes: m.toH5() }] };
    const t = m.toTfjs();
    return { files: [{ name: 'model.json', text: t.modelJson }, { name: 'weights.bin', bytes: t.weights }] };
  },

  /** Stage 1: clone_model(A) + set_weights(A.get_weights()). */
  stage1() {
    S.clone = tp.cloneModel(S.a);
    const fresh = fingerprint(S.clone.getWeights());
    S.clone.setWeights(S.a.getWeights());
    S.b = S.scratch = null;
    return {
      aIds: S.a.layers.map((l) => l.id), cloneIds: S.clone.layers.map((l) => l.id),
      rows: rows(S.clone), freshFingerprint: fresh,
      aFingerprint: fingerprint(S.a.getWeights()), cloneFingerprint: fingerprint(S.clone.getWeights()),
    };
  },

  /** Stage 2: B = Sequential(clone.layers[:-1]) + Dense(1, sigmoid). */
  stage2() {
    if (!S.clone) commands.stage1();
    const layers = S.clone.layers;
    S.b = tp.sequential(layers.slice(0, -1));
    S.b.add({ className: 'Dense', units: 1, activation: 'sigmoid' });
    S.scratch = null;
    const cloneIds = layers.map((l) => l.id);
    return { rows: rows(S.b), cloneIds, sharedIds: S.b.layers.map((l) => cloneIds.includes(l.id)) };
  },

  /**
   * Stages 3 and 4 and the from-scratch run: set trainable flags, compile, start a fit.
   * Answers when the fit ends or is stopped.
   */
  async train({ job, lr, epochs, n, batchSize, seed }) {
    // Stage 3 always starts from a fresh B (clone of A + a new head drawn from the
    // seed), so re-running it with other settings is a new experiment, and a link
    // with the same seed reproduces the run.
    if (job === 'stage3' || !S.b) {
      tp.setRandomSeed(seed);
      commands.stage1();
      commands.stage2();
    }
    let model;
    if (job === 'stage3' || job === 'stage4') {
      model = S.b;
      const base = model.layers.slice(0, -1);
      base.forEach((l) => { l.trainable = job === 'stage4'; });
    } else {
      // B's architecture with fresh weights: clone_model(B), nothing frozen.
      tp.setRandomSeed?.(seed);
      S.scratch = tp.cloneModel(S.b);
      S.scratch.layers.forEach((l) => { l.trainable = true; });
      model = S.scratch;
    }
    model.compile({ optimizer: 'sgd', learningRate: lr, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const train = take(S.data.train, n);
    // 'webgpu' trains on the GPU when initGpu() opened one; 'auto' too, unless it is a
    // software adapter; else the CPU.
    const backend = gpuActive() ? 'webgpu' : 'cpu';
    const run = model.fit(train.x, train.y, { epochs, batchSize, seed, validationData: [S.data.valid.x, S.data.valid.y], backend, checkpointEvery: GPU.checkpointEvery });
    const baseCount = model.layers.length - 1;
    S.jobs[job] = { run, model, stop: false, frozenBefore: fingerprint(layerWeights(model, baseCount)), headBefore: fingerprint(model.layers[baseCount].getWeights()) };
    const [total, trainable, frozen] = model.countParams();
    post({ type: 'progress', job, event: { type: 'start', epochs, batches: run.batchesPerEpoch, rows: rows(model), params: { total, trainable, frozen }, warnings: run.history.warnings, backend: run.backend } });
    return drive(job);
  },

  stop({ job }) {
    if (S.jobs[job]) S.jobs[job].stop = true;
    return true;
  },

  resume({ job }) {
    const j = S.jobs[job];
    if (!j || j.run.isDone) throw new Error('NOTHING_TO_RESUME');
    j.stop = false;
    return drive(job);
  },

  /** Test accuracy of 'b' or 'scratch' (or 'a' on its own task: from metadata). */
  evaluate({ which }) {
    const m = which === 'scratch' ? S.scratch : S.b;
    if (!m) throw new Error('NOT_TRAINED');
    return evaluateOn(m, S.data.test);
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
      before: S.aFingerprint, after: fp, predBefore: S.aPredictions, predAfter: pred,
      taskBefore: S.aTaskAccuracy, taskAfter, taskBackendBefore: S.aTaskBackend, taskBackendAfter: task?.backend ?? null,
      untouched: fp === S.aFingerprint && pred === S.aPredictions && sameTask,
    };
  },

  /** A test image as pixels plus its label (for the predict picker). */
  testImage({ index }) {
    const t = S.data.test;
    const per = t.x.data.length / t.count;
    const i = Math.max(0, Math.min(t.count - 1, index | 0));
    return { index: i, data: t.x.data.slice(i * per, (i + 1) * per), shape: t.x.shape.slice(1), label: t.y.data[i] };
  },

  /** P(class 1) from B (after transfer) and from scratch for one image, and the backend. */
  async predict({ data }) {
    const shape = [1, ...S.a.inputShape];
    const out = {};
    for (const [k, m] of [['b', S.b], ['scratch', S.scratch]]) {
      if (!m) continue;
      const p = noteFallback(await m.predictAsync({ data, shape }, { backend: computeBackend() }));
      out[k] = p.data[0];
      out.backend = p.backend;
    }
    return out;
  },

  /**
   * The learner's files: decode, crop, resize and convert each, one at a time (a huge
   * photo is one long task in this worker, never in the page). Undecodable files are
   * skipped and named.
   */
  async prepareImages({ files, invert }) {
    const [h, w, c] = S.a.inputShape;
    const done = [];
    const skipped = [];
    for (let i = 0; i < files.length; i++) {
      const { name, blob, label } = files[i];
      try {
        if (blob.size > MAX_FILE_BYTES) throw new Error('too large');
        const bitmap = await createImageBitmap(blob);
        if (bitmap.width * bitmap.height > MAX_PIXELS) {
          bitmap.close();
          throw new Error('too many pixels');
        }
        const { data, preview } = toModelInput(bitmap, h, w, c, { invert });
        done.push({ name, label, width: bitmap.width, height: bitmap.height, data, preview, shape: [h, w, c] });
        bitmap.close();
      } catch {
        skipped.push(name);
      }
      post({ type: 'progress', job: 'images', event: { done: i + 1, total: files.length } });
      await new Promise((r) => setTimeout(r, 0));
    }
    return { images: done, skipped, shape: [h, w, c] };
  },

  /** Train on the learner's images: every 5th becomes validation; test = validation. */
  useOwn({ images }) {
    if (!images) { S.data = S.builtin; S.b = S.scratch = null; return counts(); }
    const [h, w, c] = S.a.inputShape;
    const per = h * w * c;
    const make = (list) => {
      const x = new Float32Array(list.length * per);
      list.forEach((im, i) => x.set(im.data, i * per));
      return { count: list.length, x: { data: x, shape: [list.length, h, w, c] }, y: { data: Float32Array.from(list.map((im) => im.label)), shape: [list.length] } };
    };
    const valid = images.filter((_, i) => i % 5 === 4);
    const train = images.filter((_, i) => i % 5 !== 4);
    const v = make(valid.length ? valid : train);
    S.data = { train: make(train), valid: v, test: v };
    S.b = S.scratch = null;
    return counts();
  },
};

function counts() {
  return { train: S.data.train.count, valid: S.data.valid.count, test: S.data.test.count };
}

/** Runs a job's FitRun step by step until done or stopped, posting every event. */
async function drive(job) {
  const j = S.jobs[job];
  for (;;) {
    if (j.stop) {
      await j.run.sync(); // the model holds the GPU's latest state while stopped
      post({ type: 'progress', job, event: { type: 'stopped' } });
      return { stopped: true };
    }
    const ev = await j.run.step(); // a Promise on the GPU, an object on the CPU
    if (ev.fallback) {
      GPU.reason = ev.fallback;
      post({ type: 'progress', job, event: { type: 'fallback', message: ev.fallback } });
      post({ type: 'backend', info: backendInfo() });
    }
    if (ev.type === 'done') break;
    post({ type: 'progress', job, event: ev });
    // Yield so 'stop' (and the page's paint) get their turn between batches.
    await new Promise((r) => setTimeout(r, 0));
  }
  const base = j.model.layers.length - 1;
  const test = await evaluateOn(j.model, S.data.test);
  return {
    stopped: false, history: j.run.history, test, backend: j.run.backend, fallback: j.run.fallback,
    frozenBefore: j.frozenBefore, frozenAfter: fingerprint(layerWeights(j.model, base)),
    headBefore: j.headBefore, headAfter: fingerprint(j.model.layers[base].getWeights()),
  };
}

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

self.onmessage = async (e) => {
  const { id, cmd, args } = e.data;
  try {
    const f = commands[cmd];
    if (!f) throw new Error(`unknown command ${cmd}`);
    const result = await f(args || {});
    post({ id, ok: true, result });
  } catch (err) {
    post({ id, ok: false, error: String(err?.message ?? err) });
  }
};
