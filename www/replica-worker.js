// A replica worker of data-parallel training: its own engine instance holding a copy
// of the model being trained (`Replica`), started and driven by www/worker-pool.js in
// the engine worker (worker 0, the coordinator). Requests are `{id, cmd, args}`, each
// answered once `{id, ok, result}` or `{id, ok: false, error, fatal}`, as in
// www/PROTOCOL.md. With shared memory the per-step work does not go through messages:
// `serve` waits on the shared control block (see worker-pool.js for its layout).
import init, * as tp from './pkg/transfer_playground.js';
import { isFatal, toErrorValue } from './errors.js';
import { CTL, CMD, STATUS, DONE, FAILED, DIVERGED, stamp, sharedViews, spinWhile, StepClock } from './worker-pool-layout.js';

let replica = null;  // the Replica of the fit in progress
let shapes = null;   // its shard rows' shapes: {x, y, xLen, yLen} (one example's)
let shared = null;   // the shared views of that fit ({ctl, inputs, labels, board, sums, index, workers, flat})
let poisoned = null; // a trap or panic: this instance answers nothing any more
let session = 0;     // bumped by every join, so a serve loop of an older fit ends
let trapNext = false; // test hook: trap in the next step
let clock = new StepClock(); // where this fit's steps spend their time (`timing`)

/** A trap or panic of the engine: the error value, with the engine's panic message. */
function fatalValue(err) {
  let panic = null;
  try { panic = tp.panicMessage?.(); } catch { /* a trapped instance may not answer */ }
  if (panic) return { code: 'PANICKED', params: { message: String(panic) }, message: String(panic) };
  return isFatal(err) ? toErrorValue(err) : null;
}

function gradientsInto(x, y, batchSize, out) {
  if (trapNext) { trapNext = false; tp.__panicForTest(); }
  return replica.gradients(x, y, batchSize, out);
}

const commands = {
  async init({ module }) {
    await init({ module_or_path: module });
    return { version: tp.version() };
  },

  /** A new fit: the replica from the coordinator's spec, and the shared block if any. */
  join({ spec, buffers, index, workers, flat }) {
    replica?.free();
    replica = new tp.Replica(spec);
    const [x, y] = [Array.from(replica.inputShape), Array.from(replica.labelShape)];
    shapes = { x, y, xLen: x.reduce((a, b) => a * b, 1), yLen: y.reduce((a, b) => a * b, 1) };
    session += 1;
    clock = new StepClock();
    shared = buffers ? { ...sharedViews(buffers, workers, flat), index, workers, flat } : null;
    if (shared) serve(session);
    return { flatLength: replica.flatLength };
  },

  features({ x }) {
    const f = replica.features(x);
    return { value: f, transfer: [f.data.buffer] };
  },

  setValidation({ x, y }) { replica.setValidation(x, y); return true; },

  /** Transferred buffers: apply the last batch's sum (if any), then this shard's gradients. */
  step({ apply, x, y, batchSize }) {
    clock.start();
    if (apply) replica.applySum(apply);
    clock.lap('sum');
    if (!x) return { value: null };
    const out = new Float32Array(replica.flatLength);
    const sums = gradientsInto(x, y, batchSize, out);
    clock.lap('compute');
    return { value: { grads: out, sums }, transfer: [out.buffer] };
  },

  apply({ apply }) { if (apply) replica.applySum(apply); return true; },

  validate({ apply }) {
    if (apply) replica.applySum(apply);
    return Array.from(replica.validationSums());
  },

  /** Loss and accuracy sums of the trained copy on a slice of a test set, and its outputs. */
  evaluate({ x, y }) {
    const r = replica.evaluatePredict(x, y);
    return { value: r, transfer: [r.outputs.data.buffer] };
  },

  /** Every weight of the replica as one array (the coordinator compares them). */
  weights() {
    const w = replica.weightsFlat();
    return { value: w, transfer: [w.buffer] };
  },

  /** Ends the shared-memory loop of the fit in progress (the fit ended or was dropped). */
  leave() { session += 1; replica?.free(); replica = null; shared = null; return true; },

  /** Where this fit's steps spent their time (ms per step; see worker-pool.js's `stepTiming`). */
  timing() { return clock.perStep(); },

  /** Test hook: the next step traps inside the engine, as a bug would. */
  trapNextStep() { trapNext = true; return true; },
};

/**
 * The shared-memory loop of one fit: wait for the coordinator's next command in the
 * control block, do it, count in. Between commands it waits asynchronously, so messages
 * (a new fit, `leave`) still get through; during a step it waits synchronously for the
 * other workers, which is short and keeps the step's latency low.
 */
async function serve(mine) {
  const { ctl, index } = shared;
  let seen = Atomics.load(ctl, CTL.SEQ);
  // Until the first step, wait asynchronously: the fit's set-up (`features`,
  // `setValidation`) comes by messages, which a blocked wait would hold up.
  let hot = false;
  for (;;) {
    if (!hot || (spinWhile(ctl, CTL.SEQ, seen) === seen && Atomics.wait(ctl, CTL.SEQ, seen, 20) === 'timed-out')) {
      const w = Atomics.waitAsync(ctl, CTL.SEQ, seen);
      if (w.async) await w.value;
    }
    if (mine !== session || !shared) return;
    seen = Atomics.load(ctl, CTL.SEQ);
    const cmd = Atomics.load(ctl, CTL.CMD);
    if (cmd === CMD.LEAVE) return;
    const target = Atomics.load(ctl, CTL.TARGET);
    try {
      hot = cmd === CMD.STEP;
      if (cmd === CMD.STEP) sharedStep(seen, target);
      else if (cmd === CMD.VALIDATE) sharedValidate(seen);
    } catch (err) {
      fail(err);
      return;
    }
  }
}

function sharedStep(seq, target) {
  const { ctl, inputs, labels, board, sums, index, workers, flat } = shared;
  const nshards = Atomics.load(ctl, CTL.NSHARDS);
  const base = (seq & 1) * workers * flat;
  clock.start();
  if (index < nshards) {
    const [s, e] = [Atomics.load(ctl, CTL.RANGES + 2 * index), Atomics.load(ctl, CTL.RANGES + 2 * index + 1)];
    try {
      const { xLen, yLen } = shapes;
      const x = { data: inputs.subarray(s * xLen, e * xLen), shape: [e - s, ...shapes.x] };
      const y = { data: labels.subarray(s * yLen, e * yLen), shape: [e - s, ...shapes.y] };
      const r = gradientsInto(x, y, Atomics.load(ctl, CTL.BATCH), board.subarray(base + index * flat, base + (index + 1) * flat));
      sums.set(r, 3 * index);
      Atomics.store(ctl, STATUS(seq, index), stamp(seq, DONE));
    } catch (err) {
      // A shard whose loss is not finite: the coordinator reports the divergence, and
      // nobody applies anything (status 3). Anything else is this replica's failure.
      const diverged = err?.code === 'DIVERGED';
      Atomics.store(ctl, STATUS(seq, index), stamp(seq, diverged ? DIVERGED : FAILED));
      arrive(ctl);
      if (!diverged) throw err;
      return;
    }
  }
  clock.lap('compute');
  arrive(ctl);
  // Every worker sums the same shards in the same order and applies them: no weights
  // travel, and the copies stay bit-identical. Wait for all (the coordinator too).
  for (let a = Atomics.load(ctl, CTL.ARRIVED); a < target; a = Atomics.load(ctl, CTL.ARRIVED)) {
    if (Atomics.load(ctl, CTL.ABORT)) return;
    if (spinWhile(ctl, CTL.ARRIVED, a) === a) Atomics.wait(ctl, CTL.ARRIVED, a, 1000);
  }
  if (Atomics.load(ctl, CTL.ABORT)) return;
  for (let i = 0; i < nshards; i++) if (Atomics.load(ctl, STATUS(seq, i)) !== stamp(seq, DONE)) return; // the coordinator reports it
  clock.lap('wait');
  try {
    // This worker's own shard comes from the gradients it kept (the same bits).
    replica.applyShards(board, base, nshards, index);
    clock.lap('sum');
  } catch (err) {
    // A sum that is not finite is refused everywhere alike (the coordinator reports it);
    // anything else is this replica's failure.
    if (err?.code !== 'DIVERGED') throw err;
  }
}

function sharedValidate(seq) {
  const { ctl, sums, index } = shared;
  sums.set(replica.validationSums(), 3 * index);
  Atomics.store(ctl, STATUS(seq, index), stamp(seq, DONE));
  arrive(ctl);
}

function arrive(ctl) {
  Atomics.add(ctl, CTL.ARRIVED, 1);
  Atomics.notify(ctl, CTL.ARRIVED);
}

/** A failure in the shared loop: said to the coordinator, which stops waiting for us. */
function fail(err) {
  const fatal = fatalValue(err);
  if (fatal) poisoned = fatal;
  if (shared) {
    const seq = Atomics.load(shared.ctl, CTL.SEQ);
    Atomics.store(shared.ctl, STATUS(seq, shared.index), stamp(seq, FAILED));
    Atomics.notify(shared.ctl, CTL.ARRIVED);
  }
  self.postMessage({ type: 'failed', error: fatal || toErrorValue(err), fatal: !!fatal });
}

self.onmessage = async (e) => {
  const { id, cmd, args } = e.data;
  if (poisoned) { self.postMessage({ id, ok: false, error: poisoned, fatal: true }); return; }
  try {
    const f = commands[cmd];
    if (!f) throw new Error(`replica: unknown command ${cmd}`);
    const r = await f(args || {});
    const { value, transfer } = r && typeof r === 'object' && 'value' in r ? r : { value: r, transfer: [] };
    self.postMessage({ id, ok: true, result: value }, transfer || []);
  } catch (err) {
    const fatal = fatalValue(err);
    if (fatal) poisoned = fatal;
    self.postMessage({ id, ok: false, error: fatal || toErrorValue(err), fatal: !!fatal });
  }
};
