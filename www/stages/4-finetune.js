// Stage 4: restore B to the end of stage 3, unfreeze, recompile with SGD(lr4), fit ep4
// epochs; the final test accuracy and the check that model A is untouched.
import { t } from '../i18n.js';
import { createTrainView } from '../train-view.js';
import { computedOn } from '../backend.js';
import { renderFreshness } from '../freshness.js';

export function mountStage4(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#stage-4');
  const view = createTrainView($('#view-4'), { id: 4, runLabel: 's4.run' });
  flow.view('stage4', view);

  function renderCheck(c) {
    const el = $('#a-check');
    if (!c) { el.textContent = ''; delete el.dataset.untouched; return; }
    el.dataset.untouched = String(c.untouched);
    el.dataset.before = c.before;
    el.dataset.after = c.after;
    const where = c.taskBackendBefore === c.taskBackendAfter ? computedOn(c.taskBackendAfter) : `${computedOn(c.taskBackendBefore)} → ${computedOn(c.taskBackendAfter)}`;
    el.textContent = t('s4.aCheck', { before: c.before, after: c.after, pb: c.predBefore ?? '-', pa: c.predAfter ?? '-', verdict: c.untouched ? t('s4.untouched') : t('s4.changed') })
      + (c.taskBefore === null ? '' : ` ${t('s4.aTask', { before: c.taskBefore.toFixed(4), after: c.taskAfter.toFixed(4), where })}`);
    if (c.taskAfter !== null) {
      el.dataset.taskBefore = String(c.taskBefore);
      el.dataset.taskAfter = String(c.taskAfter);
      el.dataset.taskBackend = c.taskBackendAfter;
    }
  }

  return {
    view,
    render() {
      renderFreshness(ctx, section, 'stage4', { running: ctx.running.has('stage4') });
      const rec = ctx.results.get('stage4');
      view.show(rec?.value ?? null);
      const r = view.isLive() ? null : rec?.value;
      const final = $('#final');
      if (r) {
        final.dataset.value = String(r.test.accuracy);
        final.textContent = t('s4.final', { acc: r.test.accuracy.toFixed(4) });
      } else {
        delete final.dataset.value;
        final.textContent = '';
      }
      renderCheck(r?.aCheck);
    },
  };
}
