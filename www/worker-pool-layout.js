// The shared control block of data-parallel training with SharedArrayBuffer: one
// Int32Array of control words, the batch's rows (features and labels, gathered by the
// coordinator: the replicas hold no training data), the gradient board and the sums. Said
// once here for both sides (www/worker-pool.js, the coordinator; www/replica-worker.js).
//
// A command is written into the block, then SEQ is bumped and notified. Every worker
// (the coordinator too) adds 1 to ARRIVED when its part is done; ARRIVED only grows, and
// a command's TARGET is the count at which every worker has arrived, so a worker that
// wakes late never misses a reset. The status words and the board have two halves, used
// by turns (command `seq` uses half `seq & 1`): command `seq + 2` cannot start before
// every worker has arrived at `seq + 1`, which each does only after it has read what it
// needed of `seq`, so nothing a slow worker still reads is overwritten.

export const CTL = Object.freeze({
  SEQ: 0,      // command number, bumped for every command
  CMD: 1,      // what to do: CMD below
  ARRIVED: 2,  // workers done, summed over every command so far
  TARGET: 3,   // ARRIVED once every worker is done with this command
  ABORT: 4,    // 1: a worker failed; the others stop waiting and apply nothing
  NSHARDS: 5,  // shards of this batch (workers from this index on only apply)
  BATCH: 7,    // the batch's size (each shard's gradient is of the batch's mean loss)
  RANGES: 16,  // [start, end) of the batch's rows for each worker: 2 words per worker
});

export const CMD = Object.freeze({ STEP: 1, VALIDATE: 2, LEAVE: 3 });

/**
 * Status word of worker `i` for command `seq` (in half `seq & 1`), stamped with the
 * command it answers (`stamp(seq, DONE)`), so that nothing is reset between commands.
 */
export const STATUS = (seq, i) => 64 + (seq & 1) * 16 + i;
export const DONE = 1;
export const FAILED = 2;
export const DIVERGED = 3;
export const stamp = (seq, what) => seq * 4 + what;

export const CTL_WORDS = 64 + 32;

/**
 * Spins while `ctl[word]` still equals `value`, for at most `ms` milliseconds; returns
 * the word as it is then. The hand-overs of a step (a shard done, the next command) come
 * within a fraction of a millisecond, and a thread woken from a blocked wait first waits
 * for the scheduler, which costs about as long again: a short spin catches most of them
 * awake, and a blocked wait takes over when the other side is slow.
 */
export function spinWhile(ctl, word, value, ms = SPIN_MS) {
  const until = performance.now() + ms;
  let now = Atomics.load(ctl, word);
  while (now === value && performance.now() < until) now = Atomics.load(ctl, word);
  return now;
}

/** How long a worker spins before it blocks (a step takes a few milliseconds). */
export const SPIN_MS = 1;

/**
 * The buffers of a fit for `workers` workers, `flat` floats per gradient, batches of
 * `batch` rows of `xLen` floats of features and `yLen` of labels.
 */
export function sharedBuffers(workers, flat, batch, xLen, yLen) {
  return {
    ctl: new SharedArrayBuffer(CTL_WORDS * 4),
    inputs: new SharedArrayBuffer(Math.max(1, batch * xLen) * 4),
    labels: new SharedArrayBuffer(Math.max(1, batch * yLen) * 4),
    board: new SharedArrayBuffer(2 * workers * flat * 4),
    sums: new SharedArrayBuffer(workers * 3 * 8),
  };
}

export function sharedViews(b, workers, flat) {
  return {
    ctl: new Int32Array(b.ctl),
    inputs: new Float32Array(b.inputs),
    labels: new Float32Array(b.labels),
    board: new Float32Array(b.board, 0, 2 * workers * flat),
    sums: new Float64Array(b.sums),
  };
}

/**
 * Where one worker's steps spend their time, in milliseconds per step (the benchmark
 * page shows it): `start()` at a step's beginning (the time since the last step's end
 * counts as `between`), `lap(name)` after each part.
 */
export class StepClock {
  constructor() {
    this.totals = {};
    this.steps = 0;
    this.t = 0;
    this.end = 0;
  }

  start() {
    this.t = performance.now();
    if (this.end) this.add('between', this.t - this.end);
    this.steps += 1;
  }

  lap(name) {
    const now = performance.now();
    this.add(name, now - this.t);
    this.t = this.end = now;
  }

  add(name, ms) {
    this.totals[name] = (this.totals[name] || 0) + ms;
  }

  /** `{steps, [part]: ms per step}`. */
  perStep() {
    const out = { steps: this.steps };
    for (const [k, v] of Object.entries(this.totals)) out[k] = v / Math.max(1, this.steps);
    return out;
  }
}
