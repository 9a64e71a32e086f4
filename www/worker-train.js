// Training jobs in the worker: stage 3 (a fresh B from the seed, base frozen), stage 4
// (B restored to the snapshot taken at the end of stage 3, everything trainable) and B
// from scratch. Each is a resumable wasm FitRun: one batch per step, then a yield to
// the event loop, so a 'stop' message is seen between batches and 'resume' goes on
// with the same run. On WebGPU a step returns a Promise; if the device is lost the run
// goes on on the CPU and its step says so (`fallback`).
import { S, post, fingerprint, take, setsFor, headFor, nextTask } from './worker-session.js';
import { buildB, kerasBytes } from './worker-models.js';
import { checkpointEvery, evaluateWithOutputs, gpuActive, noteLost } from './worker-gpu.js';
import { lessonExtras } from './worker-lesson.js';
import { pageError } from './errors.js';
import { ParallelRun, resolveWorkers, pool } from './worker-pool.js';

/**
 * How many workers a job trains on, and why only one where it is one although more
 * were asked for: the GPU trains on one, and so does a model whose sharded step would
 * be a different step (trainable BatchNormalization, active Dropout; the engine says).
 */
function planWorkers(model, backend, setting) {
  const asked = resolveWorkers(setting);
  if (asked === 1) return { count: 1, asked, reason: null };
  if (backend !== 'cpu') return { count: 1, asked, reason: { key: 'perf.ONE_WORKER_GPU', params: {} } };
  const blocker = model.parallelBlocker();
  if (blocker) return { count: 1, asked, reason: { key: 'perf.ONE_WORKER_MODEL', params: { detail: blocker } } };
  return { count: asked, asked, reason: null };
}


function baseWeights(model) {
  return model.layers.slice(0, -1).flatMap((l) => l.getWeights());
}

/**
 * A fresh model for `job` from `seed`, as its stage defines it; nothing in S changes
 * (the data-size sweep builds its points with this too). Stage 3: B = a clone of A
 * without its output layer + a new head (`head`: headFor the scenario), all drawn from
 * the seed, the base frozen.
 * From scratch: B's architecture (clone_model) with fresh weights drawn from the seed
 * again, everything trainable (`cargo xtask sweep` seeds the same way).
 */
export function freshModel(job, seed, head = headFor('builtin')) {
  const { clone, b } = buildB(seed, head);
  clone.free(); // B holds the clone's layers it uses
  if (job === 'stage3') {
    b.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
    return b;
  }
  S.tp.setRandomSeed(seed);
  const m = S.tp.cloneModel(b);
  b.free();
  m.layers.forEach((l) => { l.trainable = true; });
  return m;
}

/**
 * Compiles `model` for a training job (SGD at `lr`, the head's `loss`) and starts its
 * fit on `train`, with the scenario's validation set, where training runs ('webgpu' when
 * initGpu() opened a GPU; 'auto' too, unless it is a software adapter; else the CPU, on
 * as many workers as `workers` asks for: the setting `wk`). Returns `{run, plan}`.
 */
export async function startFit(model, train, sets, { lr, epochs, batchSize, seed, loss, workers = 1 }) {
  model.compile({ optimizer: 'sgd', learningRate: lr, loss, metrics: ['accuracy'] });
  const backend = gpuActive() ? 'webgpu' : 'cpu';
  const plan = planWorkers(model, backend, workers);
  const opts = { epochs, batchSize, seed, validationData: [sets.valid.x, sets.valid.y] };
  const run = plan.count > 1
    ? await ParallelRun.start(pool(), model, train.x, train.y, opts, plan.count)
    : model.fit(train.x, train.y, { ...opts, backend, checkpointEvery: checkpointEvery() });
  return { run, plan };
}

/** The model a job trains, set up as its stage defines it. */
function prepare({ job, seed, from, head }) {
  if (job === 'stage3') {
    // Stage 3 starts from a fresh B (clone of A + a new head drawn from the seed), so a
    // re-run with other settings is a new experiment and a link reproduces the run.
    S.b = freshModel('stage3', seed, head);
    S.snap3 = null;
    delete S.jobs.stage4; // a stopped stage 4 continued the previous B: it cannot resume
    return S.b;
  }
  if (job === 'stage4') {
    // Stage 4 starts where stage 3 ended, every time: B's weights from the snapshot of
    // the stage-3 run the page names, so a re-run does what the code shown says.
    if (!S.b || !S.snap3 || S.snap3.id !== from) throw pageError('SNAPSHOT_MISSING');
    S.b.setWeights(S.snap3.weights);
    S.b.layers.forEach((l) => { l.trainable = true; });
    return S.b;
  }
  S.scratch = freshModel('scratch', seed, head);
  return S.scratch;
}

/** Runs a job's FitRun step by step until done or stopped, posting every event. */
async function drive(job) {
  const j = S.jobs[job];
  // Wall time per epoch end, counting only time spent training (not while stopped).
  const t0 = performance.now() - j.elapsed * 1000;
  for (;;) {
    if (j.stop) {
      j.elapsed = (performance.now() - t0) / 1000;
      await j.run.sync(); // the model holds the GPU's latest state while stopped
      post({ type: 'progress', job, event: { type: 'stopped' } });
      return { stopped: true };
    }
    const stepStart = performance.now();
    const ev = await j.run.step(); // a Promise on the GPU or across workers, an object on the CPU
    j.computeMs += performance.now() - stepStart;
    if (ev.fallback) {
      noteLost(ev.fallback);
      post({ type: 'progress', job, event: { type: 'fallback', message: ev.fallback } });
    }
    if (ev.workersFallback) {
      j.workers = 1;
      post({ type: 'progress', job, event: { type: 'workers', workers: 1, reason: ev.workersFallback } });
    }
    if (ev.type === 'done') break;
    if (ev.type === 'epoch') j.seconds.push((performance.now() - t0) / 1000);
    post({ type: 'progress', job, event: ev });
    if (ev.type === 'batch' && S.stopAfter?.job === job && ++j.batchesRun >= S.stopAfter.batches) {
      S.stopAfter = null;
      j.stop = true; // as if 'stop' came now (test hook below)
    }
    // Yield so 'stop' (and any other request) gets its turn between batches.
    await nextTask();
  }
  const base = j.model.layers.length - 1;
  const testStart = performance.now();
  // On the CPU the test also gives the model's outputs (across workers, split like the
  // test), from which the lesson's confusion matrix is made; on the GPU it predicts them.
  const { outputs, ...test } = j.run.evaluate ? await j.run.evaluate(j.sets.test) : await evaluateWithOutputs(j.model, j.sets.test);
  j.computeMs += performance.now() - testStart;
  if (job === 'stage3') S.snap3 = { id: j.id, weights: j.model.getWeights(), bytes: kerasBytes(j.model, j.classNames) };
  // The lesson's views: the confusion matrix and how far each layer moved in this job.
  const extras = await lessonExtras(j.model, j.sets, j.before, outputs);
  delete S.jobs[job];
  return {
    stopped: false, history: j.run.history, test, backend: j.run.backend, fallback: j.run.fallback, rows: j.model.summaryRows(),
    frozenBefore: j.frozenBefore, frozenAfter: fingerprint(baseWeights(j.model)),
    headBefore: j.headBefore, headAfter: fingerprint(j.model.layers[base].getWeights()),
    seconds: j.seconds, ...extras,
    // Seconds of compute in this worker's fit and test (setting up, steps, validation,
    // test; not the turns given to the event loop), and on how many workers.
    timing: { computeMs: j.computeMs, wallMs: performance.now() - j.startedAt, workers: j.workers, asked: j.asked, reason: j.reason, transport: j.run.transport || null },
  };
}

export const trainCommands = {
  /**
   * Stages 3 and 4 and the from-scratch run: set trainable flags, compile, start a fit
   * on the scenario's images. `id` names the result (stage 3's snapshot keeps it);
   * stage 4 gives `from`, the stage-3 result it continues. Answers when the fit ends
   * or is stopped.
   */
  async train({ job, id, from, scenario, classNames, lr, epochs, n, batchSize, seed, workers }) {
    const startedAt = performance.now();
    const sets = setsFor(scenario);
    const head = headFor(scenario);
    const model = prepare({ job, seed, from, head });
    // Stage 4 continues stage 3's B: its output layer decides the loss.
    const units = model.outputShape[model.outputShape.length - 1];
    if (units !== head.units) throw pageError('HEAD_MISMATCH', { units, classes: head.units === 1 ? 2 : head.units });
    const before = model.weightSnapshot(); // for the weight movement of this job
    const base = model.layers.length - 1;
    const frozenBefore = fingerprint(baseWeights(model));
    const headBefore = fingerprint(model.layers[base].getWeights());
    const fitStart = performance.now();
    // Starting can take a while (replica workers, the frozen base's features): a 'stop'
    // meanwhile is kept, and the run then stops before its first batch.
    const starting = { stop: false };
    S.jobs[job] = starting;
    let started;
    try {
      started = await startFit(model, take(sets.train, n), sets, { lr, epochs, batchSize, seed, loss: head.loss, workers });
    } catch (err) {
      if (S.jobs[job] === starting) delete S.jobs[job];
      throw err;
    }
    const { run, plan } = started;
    const count = run.workers || 1;
    S.jobs[job] = {
      id, run, model, sets, classNames, stop: starting.stop, batchesRun: 0, before, seconds: [], elapsed: 0, frozenBefore, headBefore,
      workers: count, asked: plan.asked, reason: plan.reason, startedAt, computeMs: performance.now() - fitStart,
    };
    const [total, trainable, frozen] = model.countParams();
    post({ type: 'progress', job, event: { type: 'start', epochs, batches: run.batchesPerEpoch, rows: model.summaryRows(), params: { total, trainable, frozen }, warnings: run.history.warnings, backend: run.backend, workers: count, asked: plan.asked, workersReason: plan.reason } });
    return drive(job);
  },

  /**
   * Test hook: the next run of `job` stops after `batches` batches, as if the learner's
   * 'stop' arrived then (a tiny run can end before a click reaches the worker).
   */
  stopAfter({ job, batches }) {
    S.stopAfter = { job, batches };
    return true;
  },

  stop({ job }) {
    if (S.jobs[job]) S.jobs[job].stop = true;
    return true;
  },

  resume({ job }) {
    const j = S.jobs[job];
    if (!j?.run || j.run.isDone) throw pageError('NOTHING_TO_RESUME');
    j.stop = false;
    return drive(job);
  },
};
