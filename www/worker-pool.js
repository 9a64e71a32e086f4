// Data-parallel training in the engine worker: a pool of replica workers
// (www/replica-worker.js, each its own engine instance) and `ParallelRun`, a fit that
// splits every batch across them, with the engine's `ParallelFit` as worker 0 (this
// worker). The maths is the engine's (src/train/parallel.rs): fixed shards, gradients
// summed in worker order, one update that every worker applies to its own copy.
//
// Two transports, the same values:
// - shared memory, where the page is cross-origin isolated (`crossOriginIsolated`):
//   the shards' rows, gradients and sums go through SharedArrayBuffers and every step is
//   a command in the control block (www/worker-pool-layout.js); each worker reads all
//   shards from the board, sums them itself and applies, so no weights travel at all;
// - transferred buffers everywhere else (any static host): a step is one message per
//   replica carrying the last batch's summed gradient (applied first) and its shard's
//   rows; the answer transfers its shard's gradient back.
// Only this worker holds the training data (images, or a frozen base's features): each
// step it gathers every shard's rows (`shardInput`), a few kilobytes. Setting up a fit
// (the replica spec, the frozen base's features, the validation slices) goes by
// messages in both.
//
// `ParallelRun` looks like the engine's `FitRun` to worker-train.js: `step()` (a
// Promise), `history`, `isDone`, `batchesPerEpoch`, `backend`, `sync()`. If a replica
// fails (a trap, a panic, an error, no answer), the run goes on on this worker alone
// from the batch in progress (nothing of it was applied anywhere), and the step says
// so (`workersFallback`).
import { CTL, CMD, STATUS, DONE, FAILED, DIVERGED, stamp, sharedBuffers, sharedViews, spinWhile, StepClock } from './worker-pool-layout.js';
import { fromErrorValue, toErrorValue } from './errors.js';
import { workersFor } from './state.js';

/** Workers for the setting `wk` here (0: one per core, up to 8: state.js's rule). */
export function resolveWorkers(setting) {
  return workersFor(setting, self.navigator?.hardwareConcurrency);
}

/** Whether this worker can use shared memory (and wait on it asynchronously). */
export function sharedMemory() {
  return self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && typeof Atomics.waitAsync === 'function';
}

/** One replica worker and its request/answer plumbing. */
class ReplicaWorker {
  constructor(url) {
    this.w = new Worker(url, { type: 'module' });
    this.next = 1;
    this.waiting = new Map();
    this.dead = null; // the error value once it failed
    this.w.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'failed') { this.die(m.error); return; }
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        if (m.fatal) this.die(m.error);
        p.reject(fromErrorValue(m.error));
      }
    };
    this.w.onerror = (e) => { e.preventDefault?.(); this.die({ code: 'TRAPPED', params: { detail: String(e.message || 'the worker failed') }, message: String(e.message) }); };
  }

  call(cmd, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(fromErrorValue(this.dead));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.w.postMessage({ id, cmd, args }, transfer);
    });
  }

  die(error) {
    if (!this.dead) this.dead = error;
    for (const p of this.waiting.values()) p.reject(fromErrorValue(error));
    this.waiting.clear();
    this.onDeath?.();
  }

  terminate() { this.w.terminate(); this.die({ code: 'ENGINE_REPLACED', params: {}, message: 'terminated' }); }
}

/** The replica workers, kept warm between fits (an engine instance each). */
export class Pool {
  constructor(module) {
    this.module = module;
    this.workers = [];
    this.ready = Promise.resolve();
  }

  /** Makes sure `count` live replicas are running (started in parallel). */
  ensure(count) {
    this.workers = this.workers.filter((w) => !w.dead);
    while (this.workers.length > count) this.workers.pop().terminate();
    const fresh = [];
    while (this.workers.length < count) {
      const w = new ReplicaWorker(new URL('./replica-worker.js', import.meta.url));
      fresh.push(w.call('init', { module: this.module }));
      this.workers.push(w);
    }
    this.ready = Promise.all([this.ready.catch(() => {}), ...fresh]);
    return this.ready;
  }

  /** Drops every replica (one failed: the others may be waiting on it). */
  reset() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

const sumsOf = (a, i) => [a[3 * i], a[3 * i + 1], a[3 * i + 2]];

/**
 * Rows `s..e` of a tensor `{data, shape}`, copied: a view would post (structured-clone)
 * the whole buffer it views to a replica.
 */
function slice(t, [s, e]) {
  const per = t.data.length / t.shape[0];
  return { data: t.data.slice(s * per, e * per), shape: [e - s, ...t.shape.slice(1)] };
}

/** A divergence found by a replica, as the engine's own DIVERGED error (Contract 1). */
function diverged(params, message) {
  const e = new Error(message);
  e.name = 'EngineError';
  e.code = 'DIVERGED';
  e.params = params;
  return e;
}

/** A fit split across the pool's workers; see the file header. */
export class ParallelRun {
  /** Starts a fit of `model` on `workers` workers (2 or more) of `pool`. */
  static async start(pool, model, x, y, opts, workers) {
    let failure = null;
    try {
      await pool.ensure(workers - 1);
    } catch (err) {
      failure = err;
    }
    const pf = model.fitParallel(x, y, opts, workers);
    const run = new ParallelRun(pf, failure ? [] : pool.workers.slice(0, workers - 1), pool, opts.batchSize);
    run.model = model;
    noteRun(run);
    try {
      if (failure) throw failure;
      await run.setUp(x, opts.validationData);
    } catch (err) {
      run.lost(err);
    }
    return run;
  }

  constructor(pf, replicas, pool, batchSize) {
    this.pf = pf;
    this.replicas = replicas;
    this.pool = pool;
    this.batchSize = batchSize;
    this.flat = pf.flatLength;
    this.xShape = Array.from(pf.inputShape);
    this.yShape = Array.from(pf.labelShape);
    this.xLen = this.xShape.reduce((a, b) => a * b, 1);
    this.yLen = this.yShape.reduce((a, b) => a * b, 1);
    this.shared = sharedMemory()
      ? sharedViews(this.buffers = sharedBuffers(pf.workers, this.flat, batchSize, this.xLen, this.yLen), pf.workers, this.flat)
      : null;
    this.pending = null;  // transfer mode: the last batch's summed gradient, not yet sent
    this.fallback = undefined; // the GPU's (FitRun's) word: never set here
    this.workersFallback = null;
    this.untold = false; // a fallback the next event has not carried yet
    this.clock = new StepClock(); // where this worker's batches spend their time
  }

  get workers() { return this.replicas.length + 1; }
  get transport() { return this.shared ? 'shared' : 'transfer'; }
  get batchesPerEpoch() { return this.pf.batchesPerEpoch; }
  get isDone() { return this.pf.isDone; }
  get history() { return this.pf.history; }
  get backend() { return 'cpu'; }
  async sync() { /* worker 0's model is always current */ }

  /** The replicas, the frozen base's features (split, then joined here) and the validation slices. */
  async setUp(x, validation) {
    const spec = this.pf.replicaSpec();
    const W = this.workers;
    await Promise.all(this.replicas.map((r, i) => r.call('join', {
      spec, buffers: this.buffers || null, index: i + 1, workers: W, flat: this.flat,
    })));
    const trainSlices = this.pf.trainSlices();
    const valSlices = this.pf.validationSlices();
    const jobs = [];
    if (this.pf.from > 0) {
      // Each worker computes the features of its slice; worker 0 joins them (and gathers
      // every shard's rows of them at each step).
      const parts = this.replicas.slice(0, trainSlices.length - 1).map((r, i) => r.call('features', { x: slice(x, trainSlices[i + 1]) }));
      const own = this.pf.features(slice(x, trainSlices[0]));
      jobs.push(Promise.all(parts).then((p) => this.pf.setTrainFeatures([own, ...p])));
    }
    if (validation) {
      const [vx, vy] = validation;
      jobs.push(...this.replicas.map((r, i) => {
        const s = valSlices[i + 1] || [0, 0];
        return r.call('setValidation', { x: slice(vx, s), y: slice(vy, s) });
      }));
    }
    this.pf.prepareLocalValidation();
    await Promise.all(jobs);
  }

  /** One batch or one epoch end, as FitRun's `step()`. */
  async step() {
    const next = this.pf.next();
    if (next.type === 'done') {
      await this.leave();
      return { type: 'done', backend: 'cpu' };
    }
    let ev;
    try {
      ev = this.replicas.length === 0 ? await this.alone(next)
        : next.type === 'batch' ? await this.batch(next) : await this.epochEnd();
    } catch (err) {
      // This worker's own errors (a divergence, a trap of its engine) end the run as
      // they end a FitRun; a replica's divergence too, with the epoch and batch.
      if (err?.name === 'EngineError' || err instanceof WebAssembly.RuntimeError) {
        await this.leave().catch(() => {});
        throw err;
      }
      if (err?.code === 'DIVERGED') {
        await this.leave().catch(() => {});
        throw diverged({ ...err.params, epoch: next.epoch + 1, batch: (next.batch ?? 0) + 1 }, err.message);
      }
      this.lost(err);
      ev = await this.alone(this.pf.next());
    }
    if (this.untold) {
      ev.workersFallback = this.workersFallback;
      this.untold = false;
    }
    return ev;
  }

  /** Worker 0 alone (no replicas left, or never any). */
  async alone(next) {
    if (next.type === 'batch') {
      this.pf.localGradients(undefined);
      return this.pf.finishBatch([], [], undefined);
    }
    return this.pf.finishEpoch(this.pf.localValidation());
  }

  /** Shard `i`'s rows of the batch as `{x, y}` tensors, in fresh arrays (to transfer). */
  shardTensors(i, [s, e]) {
    const x = new Float32Array((e - s) * this.xLen);
    const y = new Float32Array((e - s) * this.yLen);
    this.pf.shardInput(i, x, y);
    return { x: { data: x, shape: [e - s, ...this.xShape] }, y: { data: y, shape: [e - s, ...this.yShape] } };
  }

  async batch(next) {
    const { size, shards } = next;
    const W = this.workers;
    const n = shards.length;
    const clock = this.clock;
    clock.start();
    if (!this.shared) {
      const apply = this.pending;
      this.pending = null;
      const answers = this.replicas.map((r, i) => {
        const sh = shards[i + 1];
        const a = apply && (i === this.replicas.length - 1 ? apply : apply.slice());
        const rows = sh ? this.shardTensors(i + 1, sh) : { x: null, y: null };
        const transfer = [a?.buffer, rows.x?.data.buffer, rows.y?.data.buffer].filter(Boolean);
        return r.call('step', { apply: a, ...rows, batchSize: size }, transfer);
      });
      clock.lap('gather');
      this.pf.localGradients(undefined);
      clock.lap('compute');
      const got = (await Promise.all(answers)).slice(0, n - 1);
      clock.lap('wait');
      const sum = new Float32Array(this.flat);
      const ev = this.pf.finishBatch(got.map((g) => g.grads), got.flatMap((g) => Array.from(g.sums)), sum);
      this.pending = sum;
      clock.lap('sum');
      return ev;
    }
    const { ctl, board, sums, inputs, labels } = this.shared;
    for (let i = 0; i < W; i++) {
      const [s, e] = shards[i] || [0, 0];
      if (i > 0 && i < n) this.pf.shardInput(i, inputs.subarray(s * this.xLen, e * this.xLen), labels.subarray(s * this.yLen, e * this.yLen));
      ctl[CTL.RANGES + 2 * i] = s;
      ctl[CTL.RANGES + 2 * i + 1] = e;
    }
    ctl[CTL.NSHARDS] = n;
    ctl[CTL.BATCH] = size;
    clock.lap('gather');
    const { seq, target } = this.command(CMD.STEP);
    const base = (seq & 1) * W * this.flat;
    try {
      this.pf.localGradients(board.subarray(base, base + this.flat));
      Atomics.store(ctl, STATUS(seq, 0), stamp(seq, DONE));
    } catch (err) {
      this.abort();
      throw err;
    } finally {
      this.arrive();
    }
    clock.lap('compute');
    await this.wait(seq, target, n);
    clock.lap('wait');
    const others = [];
    for (let i = 1; i < n; i++) others.push(board.subarray(base + i * this.flat, base + (i + 1) * this.flat));
    const s = [];
    for (let i = 1; i < n; i++) s.push(...sumsOf(sums, i));
    const ev = this.pf.finishBatch(others, s, undefined);
    clock.lap('sum');
    return ev;
  }

  async epochEnd() {
    const W = this.workers;
    if (!this.shared) {
      const apply = this.pending;
      this.pending = null;
      const answers = this.replicas.map((r, i) => {
        const a = apply && (i === this.replicas.length - 1 ? apply : apply.slice());
        return r.call('validate', { apply: a }, a ? [a.buffer] : []);
      });
      const own = this.pf.localValidation();
      const all = [Array.from(own), ...(await Promise.all(answers))];
      return this.pf.finishEpoch(all.flat());
    }
    const { seq, target } = this.command(CMD.VALIDATE);
    const own = this.pf.localValidation();
    this.arrive();
    await this.wait(seq, target, W);
    const all = [Array.from(own)];
    for (let i = 1; i < W; i++) all.push(sumsOf(this.shared.sums, i));
    return this.pf.finishEpoch(all.flat());
  }

  /** Writes the command word, bumps SEQ, wakes the replicas; returns its `{seq, target}`. */
  command(cmd) {
    const { ctl } = this.shared;
    const target = Atomics.load(ctl, CTL.ARRIVED) + this.workers;
    Atomics.store(ctl, CTL.TARGET, target);
    Atomics.store(ctl, CTL.CMD, cmd);
    const seq = Atomics.add(ctl, CTL.SEQ, 1) + 1;
    Atomics.notify(ctl, CTL.SEQ);
    return { seq, target };
  }

  arrive() {
    Atomics.add(this.shared.ctl, CTL.ARRIVED, 1);
    Atomics.notify(this.shared.ctl, CTL.ARRIVED);
  }

  abort() {
    Atomics.store(this.shared.ctl, CTL.ABORT, 1);
    Atomics.notify(this.shared.ctl, CTL.ARRIVED);
  }

  /**
   * Waits until every worker has arrived. Synchronously at first (a step takes
   * milliseconds, and a blocked wait wakes fastest), then asynchronously, so that a
   * replica's death (its `error` event, a 'failed' message) can reach us; a worker that
   * failed, died or does not answer within `patience` is an error.
   */
  async wait(seq, target, shards) {
    const { ctl } = this.shared;
    const failed = () => {
      for (let i = 1; i < shards; i++) if (Atomics.load(ctl, STATUS(seq, i)) === stamp(seq, FAILED)) return i;
      for (let i = 1; i < shards; i++) if (Atomics.load(ctl, STATUS(seq, i)) === stamp(seq, DIVERGED)) return 0;
      return this.replicas.findIndex((r) => r.dead) >= 0 ? this.replicas.findIndex((r) => r.dead) + 1 : 0;
    };
    const t0 = performance.now();
    let a = Atomics.load(ctl, CTL.ARRIVED);
    while (a < target && performance.now() - t0 < 2000) {
      if (failed()) break;
      if (spinWhile(ctl, CTL.ARRIVED, a) === a) Atomics.wait(ctl, CTL.ARRIVED, a, 50);
      a = Atomics.load(ctl, CTL.ARRIVED);
    }
    const patience = 60000;
    while (a < target && !failed() && performance.now() - t0 < patience) {
      const w = Atomics.waitAsync(ctl, CTL.ARRIVED, a, 100);
      if (w.async) await w.value;
      a = Atomics.load(ctl, CTL.ARRIVED);
    }
    for (let i = 1; i < shards; i++) {
      if (Atomics.load(ctl, STATUS(seq, i)) === stamp(seq, DIVERGED)) {
        const msg = 'the loss became NaN or infinite; the update was not applied. Try a smaller learning rate.';
        throw diverged({ detail: msg }, msg);
      }
    }
    const bad = failed();
    if (bad || a < target) {
      this.abort();
      const r = this.replicas[(bad || 1) - 1];
      throw fromErrorValue(r?.dead || { code: 'WORKER_LOST', params: { worker: bad || 1 }, message: `worker ${bad || 1} did not answer` });
    }
  }

  /** A replica failed: the others are dropped and worker 0 goes on alone. */
  lost(err) {
    const e = toErrorValue(err);
    this.workersFallback = { code: 'WORKER_LOST', params: { workers: this.workers, detail: `${e.code}: ${e.message}` }, message: e.message };
    this.untold = true;
    if (this.shared) this.abort();
    this.pool.reset();
    this.replicas = [];
    this.pending = null;
    this.pf.goOnAlone();
  }

  /** Releases the replicas from this fit (applying the last batch's sum first). */
  async leave() {
    if (this.shared) {
      if (!this.left && this.replicas.length) this.command(CMD.LEAVE);
      this.left = true;
    } else if (this.pending) {
      const a = this.pending;
      this.pending = null;
      await Promise.all(this.replicas.map((r, i) => r.call('apply', { apply: i === this.replicas.length - 1 ? a : a.slice() })));
    }
  }

  /**
   * Loss and accuracy of the trained model on `set` ({x, y}) and its outputs (what
   * `predict` gives: the lesson's confusion matrix is made from them), from one forward
   * pass split across the fit's workers (each holds the same weights), summed and joined
   * in worker order.
   */
  async evaluate(set) {
    await this.leave();
    const n = set.x.shape[0];
    const parts = [];
    const per = this.workers;
    for (let i = 0; i < per; i++) parts.push([Math.floor((i * n) / per), Math.floor(((i + 1) * n) / per)]);
    let answers;
    try {
      const others = this.replicas.map((r, i) => r.call('evaluate', { x: slice(set.x, parts[i + 1]), y: slice(set.y, parts[i + 1]) }));
      const own = this.pf.evaluatePredict(slice(set.x, parts[0]), slice(set.y, parts[0]));
      answers = [own, ...(await Promise.all(others))];
    } catch (err) {
      if (err?.name === 'EngineError' || err instanceof WebAssembly.RuntimeError) throw err;
      this.lost(err);
      answers = [this.pf.evaluatePredict(set.x, set.y)];
    }
    let [loss, correct, counted] = [0, 0, 0];
    for (const { sums: s } of answers) { loss += s[0]; correct += s[1]; counted += s[2]; }
    const outs = answers.map((a) => a.outputs);
    const data = new Float32Array(outs.reduce((k, o) => k + o.data.length, 0));
    outs.reduce((at, o) => { data.set(o.data, at); return at + o.data.length; }, 0);
    const outputs = { data, shape: [n, ...outs[0].shape.slice(1)] };
    return { loss: loss / n, accuracy: correct / Math.max(1, counted), backend: 'cpu', outputs };
  }

  /** Worker 0's weights as one array, layer by layer (as a replica's `weights`). */
  ownWeights() {
    const parts = this.model.getWeights().map((w) => w.data);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  /**
   * Where the batches of this fit spent their time, in milliseconds per step: this
   * worker's (`gather` the shards' rows, `compute` its gradients, `wait` for the others,
   * `sum` and apply, `between` batches) and the first replica's (`compute`, `wait`,
   * `sum`, `between`: waiting for the next command). For the benchmark page.
   */
  async stepTiming() {
    const replica = this.replicas[0] ? await this.replicas[0].call('timing').catch(() => null) : null;
    return { coordinator: this.clock.perStep(), replica };
  }

  /** Test hook: every replica's weights, to compare with worker 0's. */
  async replicaWeights() {
    await this.leave();
    return Promise.all(this.replicas.map((r) => r.call('weights')));
  }
}


let wasmModule = null;
let thePool = null;

/** The engine's compiled module, for the replicas (set by the engine worker's `init`). */
export function setModule(module) {
  wasmModule = module;
}

/** The engine worker's pool of replicas (made on first use). */
export function pool() {
  thePool ??= new Pool(wasmModule);
  return thePool;
}

/** Starts the replicas for the setting `wk` in the background (nothing waits for them). */
export function warmPool(setting) {
  const n = resolveWorkers(setting);
  if (n > 1 && wasmModule) pool().ensure(n - 1).catch(() => { /* a fit will say so */ });
}

/** The last data-parallel run (for the test hooks of www/worker-perf.js). */
export let lastRun = null;
export function noteRun(run) {
  lastRun = run;
}
