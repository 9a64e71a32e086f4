// The data-size sweep in the worker (issue 12, "how much data does transfer save?"):
// transfer (stages 3 + 4) and B from scratch at several training-set sizes and seeds,
// each point built, seeded and trained exactly as the normal jobs are (worker-train.js's
// `freshModel` and `startFit`), so a point equals a separate run with the same seed,
// size and budget. The page makes the plan (sizes, seeds, the budget of each size) and
// keeps the points; this runs them one by one, with progress and stop.
import { S, post, take, setsFor, headFor, nextTask } from './worker-session.js';
import { freshModel, startFit } from './worker-train.js';
import { evaluateOn, noteLost } from './worker-gpu.js';
import { pageError } from './errors.js';

/** The first `n` training images for a sweep point: the 1,000-image pool (built-in) or the learner's. */
async function sweepTrain(scenario, n) {
  if (scenario === 'own') return take(setsFor('own').train, n);
  const [h, w, c] = S.a.inputShape;
  const key = `${h}x${w}x${c}`;
  if (!S.pool || S.pool.key !== key) {
    // Whose first 200 images are train.tpds (www/assets/data-split.json).
    const r = await fetch(new URL('./assets/task-b/train-pool.tpds', import.meta.url));
    if (!r.ok) throw pageError('FETCH_FAILED', { url: r.url, status: r.status });
    const set = S.tp.loadImageSet(new Uint8Array(await r.arrayBuffer()));
    const [, sh, sw, sc] = set.x.shape;
    const x = sh === h && sw === w && sc === c ? set.x : S.tp.resizeImages(set.x, h, w, c);
    S.pool = { key, set: { ...set, x } };
  }
  if (n > S.pool.set.count) throw pageError('SWEEP_SIZE', { n, max: S.pool.set.count });
  return take(S.pool.set, n);
}

const STOP = Symbol('stop');

/** Fits `model` to the end (or until the sweep is stopped), with per-epoch wall times. */
async function fitAll(job, model, train, sets, opts, onEpoch) {
  const { run } = await startFit(model, train, sets, opts); // one worker: the sweep keeps the others free
  const t0 = performance.now();
  const seconds = [];
  for (;;) {
    if (job.stop) {
      run.free();
      throw STOP;
    }
    const ev = await run.step(); // a Promise on the GPU, an object on the CPU
    if (ev.fallback) noteLost(ev.fallback);
    if (ev.type === 'done') break;
    if (ev.type === 'epoch') {
      seconds.push((performance.now() - t0) / 1000);
      onEpoch(ev.epoch);
    }
    await nextTask(); // 'stop' gets its turn between batches
  }
  const history = run.history;
  run.free();
  return { val: history.val_accuracy, seconds };
}

/** One point of the sweep: transfer (stage 3 then 4) and from scratch, as the normal jobs run them. */
async function sweepPoint(job, { scenario, lr3, lr4, size, seed, bs, ep3, ep4 }, tell) {
  const sets = setsFor(scenario);
  const head = headFor(scenario);
  const train = await sweepTrain(scenario, size);
  const point = { size, seed, bs, ep3, ep4, n: sets.test.count };
  const b = freshModel('stage3', seed, head);
  try {
    const s3 = await fitAll(job, b, train, sets, { lr: lr3, epochs: ep3, batchSize: bs, seed, loss: head.loss }, (e) => tell('transfer', e, ep3 + ep4));
    point.stage3 = (await evaluateOn(b, sets.test)).accuracy;
    b.layers.forEach((l) => { l.trainable = true; });
    const s4 = await fitAll(job, b, train, sets, { lr: lr4, epochs: ep4, batchSize: bs, seed: seed + 1, loss: head.loss }, (e) => tell('transfer', ep3 + e, ep3 + ep4));
    const t = await evaluateOn(b, sets.test);
    Object.assign(point, { transfer: t.accuracy, backend: t.backend, tVal: [...s3.val, ...s4.val], tSec: [...s3.seconds, ...s4.seconds.map((s) => s + (s3.seconds.at(-1) ?? 0))] });
  } finally {
    b.free();
  }
  const sc = freshModel('scratch', seed, head);
  try {
    const r = await fitAll(job, sc, train, sets, { lr: lr3, epochs: ep3 + ep4, batchSize: bs, seed, loss: head.loss }, (e) => tell('scratch', e, ep3 + ep4));
    Object.assign(point, { scratch: (await evaluateOn(sc, sets.test)).accuracy, sVal: r.val, sSec: r.seconds });
  } finally {
    sc.free();
  }
  // Correct counts, for the engine's uncertainty (accuracy = correct / n exactly).
  for (const k of ['stage3', 'transfer', 'scratch']) point[`${k}Correct`] = Math.round(point[k] * point.n);
  return point;
}

export const sweepCommands = {
  /**
   * The data-size sweep: runs `plan` ([{size, seed, bs, ep3, ep4}], made by the page)
   * point by point, each posted as `{type: 'point', index, point}` when done; progress
   * `{type: 'fit', index, total, model, epoch, epochs}`. Answers `{stopped}` when the
   * plan is done or `stop({job: 'sweep'})` ended it (the point in progress is dropped:
   * a restart runs it again from its seed, with the same result).
   */
  async sweep({ scenario, plan, lr3, lr4 }) {
    if (S.jobs.sweep) throw pageError('SWEEP_RUNNING');
    const job = { stop: false };
    S.jobs.sweep = job;
    try {
      for (let index = 0; index < plan.length; index++) {
        const p = plan[index];
        post({ type: 'progress', job: 'sweep', event: { type: 'fit', index, total: plan.length, size: p.size, seed: p.seed, model: 'transfer', epoch: 0, epochs: p.ep3 + p.ep4 } });
        const tell = (model, epoch, epochs) => post({ type: 'progress', job: 'sweep', event: { type: 'fit', index, total: plan.length, size: p.size, seed: p.seed, model, epoch: epoch + 1, epochs } });
        const point = await sweepPoint(job, { scenario, lr3, lr4, ...p }, tell);
        post({ type: 'progress', job: 'sweep', event: { type: 'point', index, total: plan.length, point } });
      }
      return { stopped: false };
    } catch (err) {
      if (err === STOP) {
        post({ type: 'progress', job: 'sweep', event: { type: 'stopped' } });
        return { stopped: true };
      }
      throw err;
    } finally {
      delete S.jobs.sweep;
    }
  },
};
