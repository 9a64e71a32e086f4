// Stage 4: unfreeze, recompile with SGD(lr4), fit ep4 epochs; final test accuracy and
// the check that model A is untouched.
import { t } from '../i18n.js';
import { createTrainView } from '../train-view.js';
import { wireTraining } from '../training.js';
import { computedOn } from '../backend.js';

export function mountStage4(ctx) {
  const view = createTrainView(document.querySelector('#view-4'), { id: 4, runLabel: 's4.run' });
  const { run } = wireTraining(ctx, view, 'stage4', {
    params: () => { const s = ctx.store.get(); return { lr: s.lr4, epochs: s.ep4, n: s.n, batchSize: s.bs, seed: s.seed + 1 }; },
    before: () => ctx.ensure(3),
    after: async (r) => {
      ctx.history4 = r.history;
      ctx.transferTest = r.test.accuracy;
      const final = document.querySelector('#final');
      final.dataset.value = String(r.test.accuracy);
      final.textContent = t('s4.final', { acc: r.test.accuracy.toFixed(4) });
      const c = await ctx.engine.call('checkA');
      const el = document.querySelector('#a-check');
      el.dataset.untouched = String(c.untouched);
      el.dataset.before = c.before;
      el.dataset.after = c.after;
      const where = c.taskBackendBefore === c.taskBackendAfter ? computedOn(c.taskBackendAfter) : `${computedOn(c.taskBackendBefore)} → ${computedOn(c.taskBackendAfter)}`;
      el.textContent = t('s4.aCheck', { before: c.before, after: c.after, pb: c.predBefore ?? '-', pa: c.predAfter ?? '-', verdict: c.untouched ? t('s4.untouched') : t('s4.changed') })
        + (c.taskBefore === null ? '' : ' ' + t('s4.aTask', { before: c.taskBefore.toFixed(4), after: c.taskAfter.toFixed(4), where }));
      if (c.taskAfter !== null) {
        el.dataset.taskAfter = String(c.taskAfter);
        el.dataset.taskBackend = c.taskBackendAfter;
      }
      ctx.markDone(4);
    },
  });
  return { run, view };
}
