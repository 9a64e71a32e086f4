// The comparison: the same B architecture trained from scratch with the same images
// and budget (stage 3 + stage 4 epochs), beside the transfer run (validation curves
// and test accuracy). Two runs are set side by side only as what they are: an out-of-
// date run is dimmed and named, and runs that used different data or budgets are
// said to be so, setting by setting.
import { t } from '../i18n.js';
import { createTrainView } from '../train-view.js';
import { drawChart, palette } from '../charts.js';
import { freshness, renderFreshness, valueText } from '../freshness.js';
import { SETTING } from '../state.js';

// What must agree for "transfer vs scratch" to be a fair comparison.
const SAME = ['scenario', 'n', 'bs', 'seed', 'ep3', 'ep4'];

export function differences(transfer, scratch) {
  const out = SAME.filter((k) => transfer.settings[k] !== scratch.settings[k])
    .map((k) => t('cmp.diff', { label: t(SETTING[k].label), transfer: valueText(k, transfer.settings[k]), scratch: valueText(k, scratch.settings[k]) }));
  if (transfer.inputs.aId !== scratch.inputs.aId) out.push(t('cmp.diffModel'));
  if (transfer.inputs.dataId !== scratch.inputs.dataId && transfer.settings.scenario === scratch.settings.scenario) out.push(t('cmp.diffData'));
  return out;
}

export function mountCompare(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#compare');
  const view = createTrainView($('#view-5'), { id: 5, runLabel: 'cmp.run' });
  flow.view('scratch', view);

  function draw(transfer, scratch) {
    const p = palette();
    const tr = transfer ? [transfer.value.base3History, transfer.value.history] : [];
    const join = (k) => tr.flatMap((h) => h?.[k] || []);
    const sc = scratch?.value.history || { val_loss: [], val_accuracy: [] };
    drawChart($('#cmp-loss'), { title: t('cmp.vloss'), series: [
      { label: t('cmp.transfer'), values: join('val_loss'), color: p.c }, { label: t('cmp.scratch'), values: sc.val_loss, color: p.d, dashed: true }] });
    drawChart($('#cmp-acc'), { title: t('cmp.vacc'), yMin: 0, yMax: 1, series: [
      { label: t('cmp.transfer'), values: join('val_accuracy'), color: p.c }, { label: t('cmp.scratch'), values: sc.val_accuracy, color: p.d, dashed: true }] });
  }

  return {
    view,
    render() {
      renderFreshness(ctx, section, 'scratch', { running: ctx.running.has('scratch') });
      const s4 = freshness(ctx, 'stage4');
      const sc = freshness(ctx, 'scratch');
      view.show(sc.record?.value ?? null);
      draw(s4.record, sc.record);
      const notes = [];
      if (s4.record && !s4.fresh) notes.push(t('cmp.staleTransfer'));
      if (sc.record && !sc.fresh) notes.push(t('cmp.staleScratch'));
      const diffs = s4.record && sc.record ? differences(s4.record, sc.record) : [];
      if (diffs.length) notes.push(t('cmp.mismatch', { diffs: diffs.join('; ') }));
      const note = $('#cmp-note');
      note.hidden = !notes.length;
      note.textContent = notes.join(' ');
      const el = $('#cmp-result');
      const acc = (f) => (f.record ? f.record.value.test.accuracy : undefined);
      el.dataset.state = !s4.record || !sc.record ? 'none' : diffs.length ? 'mismatch' : s4.fresh && sc.fresh ? 'fresh' : 'stale';
      el.dataset.transfer = String(acc(s4) ?? '');
      el.dataset.scratch = String(acc(sc) ?? '');
      // The curves are dimmed as soon as either run is out of date or they differ.
      $('#cmp-figures').dataset.state = diffs.length ? 'mismatch' : notes.length ? 'stale' : el.dataset.state;
      el.textContent = sc.record || s4.record
        ? t('cmp.result', { transfer: acc(s4)?.toFixed(4) ?? '—', scratch: acc(sc)?.toFixed(4) ?? '—' }) : '';
    },
  };
}
