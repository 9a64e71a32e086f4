// The same B architecture trained from scratch with the same images and budget,
// side by side with the transfer run (validation curves and test accuracy).
import { t } from './i18n.js';
import { createTrainView } from './train-view.js';
import { wireTraining } from './training.js';
import { drawChart, palette } from './charts.js';

export function mountCompare(ctx) {
  const view = createTrainView(document.querySelector('#view-5'), { id: 5, runLabel: 'cmp.run' });
  function drawCompare(scratch) {
    const transfer = { val_loss: [...(ctx.history3?.val_loss || []), ...(ctx.history4?.val_loss || [])], val_accuracy: [...(ctx.history3?.val_accuracy || []), ...(ctx.history4?.val_accuracy || [])] };
    const p = palette();
    drawChart(document.querySelector('#cmp-loss'), { title: t('cmp.vloss'), series: [
      { label: t('cmp.transfer'), values: transfer.val_loss, color: p.c }, { label: t('cmp.scratch'), values: scratch.val_loss, color: p.d, dashed: true }] });
    drawChart(document.querySelector('#cmp-acc'), { title: t('cmp.vacc'), yMin: 0, yMax: 1, series: [
      { label: t('cmp.transfer'), values: transfer.val_accuracy, color: p.c }, { label: t('cmp.scratch'), values: scratch.val_accuracy, color: p.d, dashed: true }] });
  }
  const { run } = wireTraining(ctx, view, 'scratch', {
    params: () => { const s = ctx.store.get(); return { lr: s.lr3, epochs: s.ep3 + s.ep4, n: s.n, batchSize: s.bs, seed: s.seed }; },
    before: () => ctx.ensure(2),
    after: (r) => {
      drawCompare(r.history);
      const el = document.querySelector('#cmp-result');
      el.dataset.scratch = String(r.test.accuracy);
      el.textContent = t('cmp.result', { transfer: ctx.transferTest !== undefined ? ctx.transferTest.toFixed(4) : '—', scratch: r.test.accuracy.toFixed(4) });
    },
  });
  drawCompare({ val_loss: [], val_accuracy: [] });
  return { run, redraw: () => drawCompare(view.history()) };
}
