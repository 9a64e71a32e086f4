// The verdict under the comparison: what was measured, said with its uncertainty. Both
// test accuracies with their 95 % intervals and whether the difference is within the
// uncertainty (the engine's `accuracyEstimate` / `compareAccuracies`, counts from the
// confusion matrices), the epochs and seconds each run took to reach the target
// validation accuracy (the State's `target`), and one sentence on which wins here and
// why, chosen by those numbers (summary.js `verdictFindings`). Runs that did not use the
// same data and budget get no verdict: it says how they differ.
import { t } from '../i18n.js';
import { freshness } from '../freshness.js';
import { differences } from '../stages/5-compare.js';
import { SETTING } from '../state.js';
import { verdictFindings, joined } from './summary.js';

/** `{correct, n}` of a training record's test accuracy (the confusion matrix's counts). */
function counts(value, nTest) {
  const c = value.confusion;
  return c ? { correct: c.correct, n: c.examples } : { correct: Math.round(value.test.accuracy * nTest), n: nTest };
}

const f4 = (v) => v.toFixed(4);

export function mountVerdict(ctx) {
  const el = document.querySelector('#verdict');

  function clear(state) {
    el.replaceChildren();
    el.dataset.state = state;
    for (const k of ['within', 'winner', 'transferEpochs', 'scratchEpochs']) delete el.dataset[k];
  }

  function line(text, cls) {
    const p = document.createElement('p');
    p.textContent = text;
    if (cls) p.className = cls;
    return p;
  }

  function render() {
    const s4 = freshness(ctx, 'stage4');
    const sc = freshness(ctx, 'scratch');
    if (!s4.record || !sc.record) { clear('none'); return; }
    // The comparison's list, and the learning rate both trained the new weights with.
    const diffs = differences(s4.record, sc.record);
    if (s4.record.settings.lr3 !== sc.record.settings.lr3) {
      diffs.push(t('cmp.diff', { label: t(SETTING.lr3.label), transfer: s4.record.settings.lr3, scratch: sc.record.settings.lr3 }));
    }
    if (diffs.length) {
      clear('mismatch');
      el.append(line(t('lesson.verdict.mismatch', { diffs: diffs.join('; ') })));
      return;
    }
    const tr = s4.record.value;
    const sv = sc.record.value;
    const settings = s4.record.settings;
    const nTest = ctx.counts?.[settings.scenario]?.test ?? 0;
    const [r] = ctx.numbers.accuracies([{ a: counts(tr, nTest), b: counts(sv, nTest) }]) ?? [];
    const target = ctx.store.get().target;
    const setup = { n: Math.min(settings.n, ctx.available()[settings.scenario] ?? settings.n), bs: settings.bs, ep3: settings.ep3, ep4: settings.ep4, lr4: settings.lr4 };
    const tRun = { ...joined(tr.base3History, tr.base3Seconds, tr.history, tr.seconds) };
    const sRun = { val: sv.history.val_accuracy, seconds: sv.seconds ?? null };
    const found = verdictFindings({ t: tRun, s: sRun, cmp: r?.difference ?? null, target, setup });
    clear(s4.fresh && sc.fresh ? 'fresh' : 'stale');
    el.dataset.transferEpochs = String(found.tReach?.epochs ?? '');
    el.dataset.scratchEpochs = String(found.sReach?.epochs ?? '');
    const head = document.createElement('h3');
    head.textContent = t('lesson.verdict.title');
    el.append(head);
    if (!r) { el.append(line(t('lesson.verdict.pending'))); return; }
    el.dataset.within = String(found.within);
    el.dataset.winner = found.winner ?? 'none';
    el.dataset.transfer = String(r.a.accuracy);
    el.dataset.scratch = String(r.b.accuracy);
    el.append(line(t('lesson.verdict.acc', {
      n: r.a.n.toLocaleString('en-US'), ta: f4(r.a.accuracy), tl: f4(r.a.low), th: f4(r.a.high), sa: f4(r.b.accuracy), sl: f4(r.b.low), sh: f4(r.b.high),
    })));
    // The measured facts, then the one sentence on which wins and why.
    const msgs = found.messages.map((m) => t(m.key, m.params));
    el.append(line(msgs.slice(0, -1).join(' ')), line(msgs[msgs.length - 1], 'why'));
    if (!s4.fresh || !sc.fresh) el.append(line(t('lesson.verdict.stale'), 'small'));
  }

  return { render };
}
