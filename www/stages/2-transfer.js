// Stage 2: B = Sequential(clone.layers[:-1]) + the new output layer (Dense(1, sigmoid), or
// Dense(N, softmax) for the learner's N > 2 classes), shown layer by layer.
import { t } from '../i18n.js';
import { layersTable } from '../layers-table.js';
import { renderFreshness } from '../freshness.js';

export function mountStage2(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#stage-2');
  $('#run-2').addEventListener('click', () => ctx.guard(() => flow.run('stage2')));

  return {
    render() {
      renderFreshness(ctx, section, 'stage2');
      const rec = ctx.results.get('stage2');
      if (!rec) { $('#b-layers').replaceChildren(); $('#result-2').textContent = ''; return; }
      const r = rec.value;
      const notes = r.sharedIds.map((shared) => (shared ? t('s2.shared') : t('s2.new')));
      $('#b-layers').replaceChildren(layersTable(r.rows, { notes, caption: t('s2.caption') }));
      const removed = r.removed;
      // The new output layer: Dense(1, sigmoid) for two classes, Dense(N, softmax) for the learner's N > 2.
      const units = r.rows[r.rows.length - 1].outputShape.slice(-1)[0];
      const head = `Dense(${units}, ${units === 1 ? 'sigmoid' : 'softmax'})`;
      $('#result-2').textContent = t('s2.result', { removed: `${removed.name} (${removed.className}, ${removed.outputShape.join('×')})`, shared: r.sharedIds.filter(Boolean).length, head });
    },
  };
}
