// How far each layer's weights moved, in stage 3 and in stage 4: ‖ΔW‖ / ‖W‖ per layer,
// from the engine (`weightMovementSince`, taken at the start and the end of each job, on
// the weights the job trained, GPU runs read back). The frozen layers of stage 3 are
// exactly 0; stage 4's small learning rate moves the reused layers very little: the
// lecture's "a small learning rate keeps the reused features", made visible.
import { t } from '../i18n.js';
import { textTable, textRow } from '../layers-table.js';
import { palette } from '../charts.js';
import { drawBars, short } from './bars.js';
import { markSection } from './mark.js';
import { movementCode } from './keras-lesson.js';

export function mountMovement(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#movement');
  $('#move-run').addEventListener('click', () => ctx.guard(() => flow.ensure('stage4')));

  /** Layers with weights, with their movement in each stage (`null` where a stage has no record). */
  function rows(m3, m4) {
    const base = m3 ?? m4;
    return base.filter((r) => r.weights > 0).map((r) => ({
      index: r.index, name: r.name, className: r.className, weights: r.weights,
      s3: m3?.[r.index]?.relative ?? null, s4: m4?.[r.index]?.relative ?? null,
    }));
  }

  function renderTable(list) {
    const { table, body } = textTable('layers', ['layer', 'class', 'weights', 'stage3', 'stage4'].map((k) => t(`lesson.movement.col.${k}`)));
    for (const r of list) {
      const tr = textRow(body, [r.name, r.className, r.weights.toLocaleString('en-US'), r.s3 === null ? '–' : short(r.s3), r.s4 === null ? '–' : short(r.s4)]);
      tr.dataset.layer = String(r.index);
      tr.dataset.stage3 = String(r.s3 ?? '');
      tr.dataset.stage4 = String(r.s4 ?? '');
    }
    $('#move-table').replaceChildren(table);
  }

  /** What the bars show, in words, from the numbers. */
  function sentences(list, s3, s4) {
    const out = [];
    const head = list[list.length - 1];
    const base = list.slice(0, -1);
    if (s3 && head?.s3 !== null) {
      const frozen = base.filter((r) => r.s3 !== null);
      const still = frozen.every((r) => r.s3 === 0);
      out.push(t(still ? 'lesson.movement.stage3' : 'lesson.movement.stage3Moved', { head: short(head.s3), n: frozen.length, lr: s3.settings.lr3 }));
    }
    if (s4 && head?.s4 !== null && base.length) {
      const most = base.reduce((a, b) => ((b.s4 ?? 0) > (a.s4 ?? 0) ? b : a));
      out.push(t('lesson.movement.stage4', { most: short(most.s4 ?? 0), name: most.name, head: short(head.s4), lr: s4.settings.lr4 }));
    }
    return out;
  }

  function render() {
    markSection(ctx, section, $('#move-stale'), ['stage3', 'stage4']);
    $('#move-run').disabled = ['stage3', 'stage4'].some((k) => ctx.running.has(k));
    const s = ctx.store.get();
    $('#code-movement').textContent = movementCode(s);
    const s3 = ctx.results.get('stage3');
    const s4 = ctx.results.get('stage4');
    const m3 = s3?.value.movement ?? null;
    const m4 = s4?.value.movement ?? null;
    const p = palette();
    const list = m3 || m4 ? rows(m3, m4) : [];
    drawBars($('#move-chart'), {
      title: t('lesson.movement.chart'),
      series: [{ label: t('lesson.movement.s3', { lr: s3?.settings.lr3 ?? s.lr3 }), color: p.a }, { label: t('lesson.movement.s4', { lr: s4?.settings.lr4 ?? s.lr4 }), color: p.b }],
      groups: list.map((r) => ({ label: r.name, values: [r.s3, r.s4] })),
    });
    renderTable(list);
    const res = $('#move-result');
    res.textContent = list.length ? sentences(list, m3 && s3, m4 && s4).join(' ') : t('lesson.movement.empty');
  }

  return { render };
}
