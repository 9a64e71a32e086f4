// Runs one training job in the worker and feeds its view: start, stop, resume.
import { errorText } from './i18n.js';

/**
 * Wires a train view's buttons to a job. `params()` reads the hyper-parameters from
 * the State at click time; `before()` runs prerequisite stages; `after(result)` shows
 * stage-specific results. Returns `run()` so other stages can require this one.
 */
export function wireTraining(ctx, view, job, { params, before, after }) {
  ctx.engine.onProgress((j, ev) => { if (j === job) view.event(ev); });
  let finished = null; // a promise that resolves when the job has completed

  async function handle(promise) {
    try {
      const result = await promise;
      if (result.stopped) return false;
      // Stage-specific results first, so 'done' means everything is on the page.
      await after?.(result);
      view.done(result);
      return true;
    } catch (err) {
      view.error(err);
      ctx.say(errorText(err));
      throw err;
    }
  }

  async function run() {
    view.reset();
    view.status('running');
    await before?.();
    const done = handle(ctx.engine.call('train', { job, ...params() }));
    finished = done;
    return done;
  }

  view.runBtn.addEventListener('click', () => run().catch(() => {}));
  view.stopBtn.addEventListener('click', () => ctx.engine.call('stop', { job }));
  view.resumeBtn.addEventListener('click', () => {
    view.status('running');
    finished = handle(ctx.engine.call('resume', { job }));
    finished.catch(() => {});
  });
  return { run };
}
