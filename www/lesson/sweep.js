// "How much data does transfer save?": the data-size sweep's view. The plan (sizes,
// seeds, each size's budget: summary.js `sweepPlan`, the adapted budget from
// www/own/adapt.js) is made here and run in the worker (worker-sweep.js), point by
// point, with progress, stop and resume. Its result is a record like any other
// (results.js kinds `sweep` and `sweepAdapted`, one per budget): saved after every point,
// so a reload or a stop keeps what was measured, marked out of date by provenance when a
// setting it used changes, and shown again as current when the setting comes back.
import { t } from '../i18n.js';
import { textTable, textRow } from '../layers-table.js';
import { makeRecord } from '../results.js';
import { freshness, renderFreshness } from '../freshness.js';
import { saveResults, saveMeta } from '../project.js';
import { palette } from '../charts.js';
import { adaptedFor } from '../own/adapt.js';
import { drawSweepChart } from './sweep-chart.js';
import { sweepPlan, sweepRows, sweepFindings, sweepSizes, stage3Steps } from './summary.js';
import { sweepCode } from './keras-lesson.js';

const KIND = { lecture: 'sweep', adapted: 'sweepAdapted' };
const key = (p) => `${p.size}/${p.seed}`;
const f3 = (v) => v.toFixed(3);

export function mountSweep(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#sweep');
  const runBtn = $('#sweep-run');
  const stopBtn = $('#sweep-stop');
  const resumeBtn = $('#sweep-resume');
  let live = null; // {record, fit} while a sweep runs

  const kindNow = (s = ctx.store.get()) => KIND[s.swb];
  const available = (s = ctx.store.get()) => ctx.available()[s.scenario];
  const planNow = (s = ctx.store.get()) => sweepPlan(s, { budget: s.swb, available: available(s), adaptedFor });

  function save(record) {
    ctx.results.put(record);
    saveResults(ctx);
  }

  ctx.engine.onProgress((job, ev) => {
    if (job !== 'sweep' || !live) return;
    if (ev.type === 'fit') live.fit = ev;
    if (ev.type === 'point') {
      live.record.value.points.push(ev.point);
      live.fit = null;
      save(live.record);
    }
    render();
  });

  /** Runs the sweep for the current settings: from the start, or on from the points a stopped one has. */
  async function run({ restart }) {
    const s = ctx.store.get();
    const kind = kindNow(s);
    flow.checkSettings(kind);
    const f = freshness(ctx, kind);
    let record = f.fresh && !restart ? f.record : null;
    if (!record) {
      record = makeRecord(kind, ctx.now(), { budget: s.swb, plan: planNow(s), points: [], complete: false });
      save(record);
      saveMeta(ctx); // the settings a result was computed with are restored with it
    }
    const done = new Set(record.value.points.map(key));
    const todo = record.value.plan.filter((p) => !done.has(key(p)));
    live = { record, fit: null };
    ctx.running.add('sweep');
    render();
    try {
      const r = await ctx.engine.call('sweep', { scenario: record.settings.scenario, plan: todo, lr3: record.settings.lr3, lr4: record.settings.lr4 });
      if (!r.stopped) {
        record.value.complete = true;
        save(record);
      }
    } finally {
      live = null;
      ctx.running.delete('sweep');
      render();
    }
  }

  runBtn.addEventListener('click', () => ctx.guard(() => run({ restart: true })));
  resumeBtn.addEventListener('click', () => ctx.guard(() => run({ restart: false })));
  stopBtn.addEventListener('click', () => ctx.guard(() => ctx.engine.call('stop', { job: 'sweep' })));

  function budgetText(s) {
    const sizes = sweepSizes(s.scenario, available(s), s.swmax);
    if (!sizes.length) return t('lesson.sweep.noSizes', { max: s.swmax });
    if (s.swb === 'lecture') {
      return t('lesson.sweep.budget.lecture', { bs: s.bs, ep3: s.ep3, ep4: s.ep4, first: sizes[0], steps: stage3Steps(sizes[0], s.bs, s.ep3) });
    }
    const at = (n) => { const b = adaptedFor(n); return t('lesson.sweep.budget.at', { n, bs: b.bs, ep3: b.ep3, ep4: b.ep4, steps: stage3Steps(n, b.bs, b.ep3) }); };
    return t('lesson.sweep.budget.adapted', { first: at(sizes[0]), last: at(sizes[sizes.length - 1]) });
  }

  function renderProgress(record) {
    const prog = $('#sweep-prog');
    const lineEl = $('#sweep-line');
    const total = record?.value.plan.length ?? 0;
    const done = record?.value.points.length ?? 0;
    const fit = live?.fit;
    // Each point: transfer then scratch, the same number of epochs each.
    const part = fit ? (fit.model === 'scratch' ? 0.5 : 0) + fit.epoch / (2 * Math.max(1, fit.epochs)) : 0;
    prog.max = Math.max(1, total);
    prog.value = done + part;
    prog.setAttribute('aria-label', t('progress'));
    lineEl.dataset.done = String(done);
    lineEl.dataset.total = String(total);
    if (fit) {
      lineEl.textContent = t('lesson.sweep.progress', { done, total, size: fit.size, seed: fit.seed, model: t(fit.model === 'scratch' ? 'lesson.sweep.model.scratch' : 'lesson.sweep.model.transfer'), epoch: fit.epoch, epochs: fit.epochs });
    } else if (record && !record.value.complete && !live) {
      lineEl.textContent = t('lesson.sweep.stopped', { done, total });
    } else {
      lineEl.textContent = record ? t('lesson.sweep.done', { done, total }) : '';
    }
  }

  function renderTable(rows, outcomes, target) {
    const labels = ['images', 'budget', 'transfer', 'stage3', 'scratch', 'epochs', 'outcome'].map((k) => t(`lesson.sweep.col.${k}`));
    const { table, body } = textTable('layers sweep-rows', labels, t('lesson.sweep.caption', { target }));
    const band = (st) => `${f3(st.mean)} [${f3(st.min)}–${f3(st.max)}]`;
    const reach = (list) => list.map((r) => (r ? r.epochs : '–')).join(', ');
    rows.forEach((r, i) => {
      const cells = [String(r.size), t('lesson.sweep.budgetCell', r.budget), band(r.transfer), f3(r.stage3.mean), band(r.scratch),
        t('lesson.sweep.reachCell', { t: reach(r.tReach), s: reach(r.sReach) }), outcomes[i] ? t(`lesson.sweep.outcome.${outcomes[i]}`) : '…'];
      const tr = textRow(body, cells);
      tr.dataset.size = String(r.size);
      tr.dataset.seeds = r.seeds.join(',');
      tr.dataset.outcome = outcomes[i] ?? '';
      for (const k of ['transfer', 'stage3', 'scratch']) tr.dataset[k] = r.values[k].join(',');
    });
    $('#sweep-table').replaceChildren(table);
  }

  function render() {
    const s = ctx.store.get();
    const kind = kindNow(s);
    section.dataset.result = kind;
    $('#sweep-stale').dataset.staleFor = kind;
    const running = ctx.running.has('sweep');
    renderFreshness(ctx, section, kind, { running });
    const f = freshness(ctx, kind);
    const record = live?.record ?? f.record;
    const plan = planNow(s);
    $('#sweep-budget').textContent = budgetText(s);
    runBtn.disabled = running || !plan.length;
    stopBtn.disabled = !running;
    resumeBtn.disabled = running || !(f.fresh && !f.record.value.complete);
    section.dataset.complete = String(!!record?.value.complete);
    renderProgress(record);
    $('#code-sweep').textContent = sweepCode(s, sweepSizes(s.scenario, available(s), s.swmax), s.swb);
    const points = record?.value.points ?? [];
    const rows = sweepRows(points, s.target);
    const within = ctx.numbers.accuracies(rows.map((r) => r.pair))?.map((x) => x.difference.withinUncertainty) ?? rows.map(() => null);
    const found = sweepFindings(rows, within, s.target);
    const p = palette();
    const series = (model, label, color, dashed) => ({ label, color, dashed, points: rows.map((r) => ({ x: r.size, ...r[model] })) });
    const sizes = record ? [...new Set(record.value.plan.map((x) => x.size))] : sweepSizes(s.scenario, available(s), s.swmax);
    drawSweepChart($('#sweep-chart'), {
      title: t('lesson.sweep.chart'), sizes,
      series: [series('transfer', t('cmp.transfer'), p.c, false), series('scratch', t('cmp.scratch'), p.d, true)],
    });
    renderTable(rows, found.outcomes, s.target);
    const out = $('#sweep-findings');
    out.dataset.catchUp = String(found.catchUp ?? '');
    out.dataset.outcomes = found.outcomes.join(',');
    out.replaceChildren(...found.messages.map((m) => {
      const el = document.createElement('p');
      el.textContent = t(m.key, m.params);
      el.dataset.key = m.key;
      return el;
    }));
    if (record && rows.length && !record.value.complete) {
      const el = document.createElement('p');
      el.className = 'small';
      el.textContent = t('lesson.sweep.partial', { done: points.length, total: record.value.plan.length });
      out.append(el);
    }
  }

  return { render };
}
