// The lecture's order of work: what each stage needs first and where it starts from.
// A click on a stage runs the earlier stages whose results are missing or out of date
// (never reusing a stale one), then the stage itself; every result is stored with
// the settings, inputs and upstream results it was computed from (results.js), as
// they were when the run started, and its models are saved.
import { dependsOn, SETTING } from './state.js';
import { makeRecord } from './results.js';
import { freshness } from './freshness.js';
import { pageError, toErrorValue } from './errors.js';
import { t } from './i18n.js';
import { usable } from './own-data.js';
import { saveModels, saveResults, saveMeta } from './project.js';

/** What each training job fits: its learning rate, epochs and seed from the State. */
const TRAIN = {
  stage3: (s) => ({ lr: s.lr3, epochs: s.ep3, seed: s.seed }),
  // Stage 4 shuffles with its own seed, so it is not stage 3's order again.
  stage4: (s) => ({ lr: s.lr4, epochs: s.ep4, seed: s.seed + 1 }),
  // The same budget as transfer (stage 3 + stage 4) at stage 3's learning rate.
  scratch: (s) => ({ lr: s.lr3, epochs: s.ep3 + s.ep4, seed: s.seed }),
};
const SAVES = { stage3: ['b', 'snap3'], stage4: ['b'], scratch: ['scratch'] };

export function createFlow(ctx) {
  const views = {};    // kind -> train view (stages 3, 4, scratch)
  const pending = {};  // kind -> the record started by a run that was stopped

  ctx.engine.onProgress((job, ev) => views[job]?.event(ev));

  /** Refuses to start `kind` while a setting it depends on holds an invalid value. */
  function checkSettings(kind) {
    const bad = dependsOn(kind).filter((k) => ctx.invalid.has(k));
    if (bad.length) throw pageError('INVALID_SETTINGS', { labels: bad.map((k) => t(SETTING[k].label)).join(', ') });
    const s = ctx.store.get();
    if (['stage3', 'stage4', 'scratch', 'sweep', 'sweepAdapted'].includes(kind) && s.scenario === 'own' && !usable(ctx.project.images, ctx.project.classes.length)) throw pageError('NO_OWN_IMAGES');
  }

  function put(record) {
    ctx.results.put(record);
    saveResults(ctx);
    saveMeta(ctx); // the settings the results were computed with are restored with them
  }

  async function stage1() {
    checkSettings('stage1');
    const base = makeRecord('stage1', ctx.now(), null);
    const r = await ctx.engine.call('stage1', { seed: ctx.store.get().seed });
    put({ ...base, value: r });
  }

  async function stage2() {
    await ensure('stage1');
    checkSettings('stage2');
    const base = makeRecord('stage2', ctx.now(), null);
    const r = await ctx.engine.call('stage2', { seed: ctx.store.get().seed, scenario: ctx.store.get().scenario });
    const removed = ctx.a.rows[ctx.a.rows.length - 1];
    put({ ...base, value: { ...r, removed } });
  }

  /** Starts (or resumes) a training job; resolves true when its result is stored. */
  async function train(kind, { args = {}, value: more = {} } = {}, resume = false) {
    const view = views[kind];
    if (resume && !pending[kind]) throw pageError('NOTHING_TO_RESUME');
    if (!resume) {
      checkSettings(kind);
      pending[kind] = { base: makeRecord(kind, ctx.now(), null), more };
    }
    const { base } = pending[kind];
    view[resume ? 'resumed' : 'start']();
    ctx.running.add(kind);
    ctx.render();
    try {
      const s = ctx.store.get();
      const r = resume
        ? await ctx.engine.call('resume', { job: kind })
        : await ctx.engine.call('train', { job: kind, id: base.id, scenario: s.scenario, classNames: ctx.classNames(s.scenario), n: s.n, batchSize: s.bs, workers: s.wk, ...TRAIN[kind](s), ...args });
      if (r.stopped) return false;
      const value = { history: r.history, test: r.test, backend: r.backend, timing: r.timing, rows: r.rows, notes: view.notes(), frozenBefore: r.frozenBefore, frozenAfter: r.frozenAfter, headBefore: r.headBefore, headAfter: r.headAfter, ...pending[kind].more };
      // The lesson's views of this run (www/lesson/): epoch times, confusion matrix, weight movement.
      Object.assign(value, { seconds: r.seconds, confusion: r.confusion, movement: r.movement });
      delete pending[kind];
      if (kind === 'stage4') value.aCheck = await ctx.engine.call('checkA');
      const record = { ...base, at: new Date().toISOString(), value };
      view.finish(value);
      if (kind === 'stage3') ctx.have = { ...ctx.have, b: true, snap3: base.id };
      if (kind === 'stage4') ctx.have = { ...ctx.have, b: true };
      if (kind === 'scratch') ctx.have = { ...ctx.have, scratch: true };
      // The models first: a result saved is a result whose models are saved.
      await saveModels(ctx, SAVES[kind], ctx.classNames(base.settings.scenario));
      put(record);
      return true;
    } catch (err) {
      view.fail(toErrorValue(err));
      throw err;
    } finally {
      ctx.running.delete(kind);
      ctx.render();
    }
  }

  async function stage3() {
    await ensure('stage2');
    return train('stage3');
  }

  async function stage4() {
    await ensure('stage3');
    const s3 = ctx.results.get('stage3');
    // The stage-3 history rides along, so the comparison draws one continuous run.
    return train('stage4', { args: { from: s3.id }, value: { base3History: s3.value.history, base3Test: s3.value.test, base3Seconds: s3.value.seconds } });
  }

  async function scratch() {
    // An embed of the comparison has no stage 4 on its page to run: its run trains the
    // transfer side first (as needed), so the two curves it compares are both there.
    if (ctx.store.get().embed) await ensure('stage4');
    return train('scratch');
  }

  const RUN = { stage1, stage2, stage3, stage4, scratch };

  /** Makes sure `kind` has a current result, running it (and what it needs) if not. */
  async function ensure(kind) {
    const f = freshness(ctx, kind);
    // Stage 4 starts from the worker's snapshot of exactly this stage-3 run.
    const usableNow = f.fresh && (kind !== 'stage3' || ctx.have?.snap3 === f.record.id);
    if (usableNow) return;
    if (views[kind]?.status() === 'stopped') throw pageError('STOPPED');
    const ok = await RUN[kind]();
    if (ok === false) throw pageError('STOPPED');
  }

  return {
    run: (kind) => RUN[kind](),
    /** Refuses `kind` while a setting it depends on is invalid (the sweep's views ask too). */
    checkSettings,
    resume: (kind) => train(kind, {}, true),
    /** Whether a stopped run of `kind` can be resumed. */
    canResume: (kind) => !!pending[kind],
    stop: (kind) => ctx.engine.call('stop', { job: kind }),
    ensure,
    /** Registers the view of a training job, wiring its buttons. */
    view(kind, view) {
      views[kind] = view;
      view.runBtn.addEventListener('click', () => ctx.guard(() => RUN[kind]()));
      view.stopBtn.addEventListener('click', () => ctx.guard(() => ctx.engine.call('stop', { job: kind })));
      view.resumeBtn.addEventListener('click', () => ctx.guard(() => train(kind, {}, true)));
    },
  };
}
