// Stage 3: freeze the reused layers, compile with SGD(lr3), fit ep3 epochs; the frozen
// layers' fingerprints before and after show that they did not move.
import { t } from '../i18n.js';
import { createTrainView } from '../train-view.js';
import { layersTable } from '../layers-table.js';
import { renderFreshness } from '../freshness.js';

export function mountStage3(ctx, flow) {
  const section = document.querySelector('#stage-3');
  const root = document.querySelector('#view-3');
  const view = createTrainView(root, { id: 3, runLabel: 's3.run' });
  const fp = document.createElement('p');
  fp.id = 'frozen-fp';
  fp.className = 'small mono figures';
  fp.dataset.control = 'fingerprints';
  const table = document.createElement('div');
  table.className = 'table-wrap';
  table.dataset.control = 'layers';
  table.dataset.tabPanel = 'layers';
  root.append(fp, table);
  let liveRows = null;
  ctx.engine.onProgress((job, ev) => {
    if (job === 'stage3' && ev.type === 'start') { liveRows = ev.rows; render(); }
  });
  flow.view('stage3', view);

  function render() {
    renderFreshness(ctx, section, 'stage3', { running: ctx.running.has('stage3') });
    const rec = ctx.results.get('stage3');
    view.show(rec?.value ?? null);
    const running = view.isLive();
    const rows = running ? liveRows : rec?.value.rows;
    table.replaceChildren(...(rows ? [layersTable(rows, { caption: t('s3.caption') })] : []));
    const r = running ? null : rec?.value;
    if (!r) { fp.textContent = ''; delete fp.dataset.same; return; }
    const same = r.frozenBefore === r.frozenAfter;
    fp.dataset.before = r.frozenBefore;
    fp.dataset.after = r.frozenAfter;
    fp.dataset.same = String(same);
    fp.textContent = t('s3.fp', { before: r.frozenBefore, after: r.frozenAfter, verdict: same ? t('s3.unchanged') : t('s3.changed'), hb: r.headBefore, ha: r.headAfter });
  }
  return { render, view };
}
