// Stage 3: freeze the reused layers, compile with SGD(lr3), fit ep3 epochs.
import { t } from '../i18n.js';
import { createTrainView } from '../train-view.js';
import { wireTraining } from '../training.js';
import { layersTable } from '../layers-table.js';

export function mountStage3(ctx) {
  const root = document.querySelector('#view-3');
  const view = createTrainView(root, { id: 3, runLabel: 's3.run' });
  const fp = document.createElement('p');
  fp.id = 'frozen-fp';
  fp.className = 'small mono';
  const table = document.createElement('div');
  table.className = 'table-wrap';
  root.append(fp, table);
  ctx.engine.onProgress((job, ev) => {
    if (job === 'stage3' && ev.type === 'start') table.replaceChildren(layersTable(ev.rows, { caption: t('s3.caption') }));
  });
  const { run } = wireTraining(ctx, view, 'stage3', {
    params: () => { const s = ctx.store.get(); return { lr: s.lr3, epochs: s.ep3, n: s.n, batchSize: s.bs, seed: s.seed }; },
    before: () => ctx.ensure(2),
    after: (r) => {
      ctx.history3 = r.history;
      fp.dataset.before = r.frozenBefore;
      fp.dataset.after = r.frozenAfter;
      fp.dataset.same = String(r.frozenBefore === r.frozenAfter);
      fp.textContent = t('s3.fp', { before: r.frozenBefore, after: r.frozenAfter, verdict: r.frozenBefore === r.frozenAfter ? t('s3.unchanged') : t('s3.changed'), hb: r.headBefore, ha: r.headAfter });
      ctx.markDone(3);
    },
  });
  return { run, view };
}
