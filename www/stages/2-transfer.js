// Stage 2: B = Sequential(clone.layers[:-1]) + Dense(1, sigmoid), shown layer by layer.
import { t } from '../i18n.js';
import { layersTable } from '../layers-table.js';

export function mountStage2(ctx) {
  const $ = (s) => document.querySelector(s);
  async function run() {
    await ctx.ensure(1);
    const r = await ctx.engine.call('stage2');
    const removed = ctx.a.rows[ctx.a.rows.length - 1];
    const notes = r.sharedIds.map((shared) => (shared ? t('s2.shared') : t('s2.new')));
    $('#b-layers').replaceChildren(layersTable(r.rows, { notes, caption: t('s2.caption') }));
    $('#result-2').textContent = t('s2.result', { removed: `${removed.name} (${removed.className}, ${removed.outputShape.join('×')})`, shared: r.sharedIds.filter(Boolean).length });
    ctx.markDone(2);
  }
  $('#run-2').addEventListener('click', () => ctx.guard(run));
  return { run };
}
