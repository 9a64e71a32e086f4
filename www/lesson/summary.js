// What the lesson's numbers say, as data: pure functions (no DOM, tested under Node in
// tests/e2e/lesson-units.test.mjs) that turn measured results into findings and the
// messages that state them (`{key, params}`, worded by i18n at render time). Nothing
// here is canned: every sentence is chosen by the numbers and carries them.
//
// The uncertainty itself is the engine's (`accuracyEstimate`, `compareAccuracies` in
// src/evaluation/uncertainty.rs, through the worker's `accuracies` command): these
// functions take its answers as inputs.

/** The lecture's training-set sizes for the sweep, and the built-in pool's size (www/assets/data-split.json). */
export const SWEEP_SIZES = Object.freeze([10, 20, 50, 100, 200, 500, 1000]);
export const BUILTIN_POOL = 1000;
/** SGD steps stage 3 needs to train the new layer (www/own/adapt.js aims for 50). */
export const ENOUGH_STEPS3 = 50;

/** The first epoch (1-based) whose validation accuracy reaches `target`, with the wall time then. */
export function epochsTo(val, seconds, target) {
  const i = (val || []).findIndex((v) => v >= target);
  return i < 0 ? null : { epochs: i + 1, seconds: seconds?.[i] ?? null };
}

/** Stage 3's history followed by stage 4's, with stage 4's times counted from stage 3's end. */
export function joined(h3, s3, h4, s4) {
  const v = [...(h3?.val_accuracy || []), ...(h4?.val_accuracy || [])];
  const end = s3?.length ? s3[s3.length - 1] : 0;
  const sec = s3 && s4 ? [...s3, ...s4.map((s) => s + end)] : null;
  return { val: v, seconds: sec };
}

export function stats(values) {
  const v = values.filter(Number.isFinite);
  if (!v.length) return null;
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v) };
}

/** SGD steps of stage 3 for `n` images in batches of `bs` over `ep3` epochs. */
export function stage3Steps(n, bs, ep3) {
  return ep3 * Math.ceil(n / bs);
}

// ---------------------------------------------------------------------------------------
// The sweep

/** The sizes a sweep runs: the lecture's list up to `max` and the images there are (all of the learner's, last). */
export function sweepSizes(scenario, available, max) {
  const have = scenario === 'own' ? (available || 0) : BUILTIN_POOL;
  const top = Math.min(have, max);
  const sizes = SWEEP_SIZES.filter((n) => n <= top);
  if (scenario === 'own' && top === have && have > 0 && sizes[sizes.length - 1] !== have) sizes.push(have);
  return sizes;
}

/**
 * The sweep's plan: for each size and seed (`seed`, `seed + 1`, ... `sws` of them) the
 * budget: the learner's settings (`lecture`: the same batch and epochs at every size) or
 * `adaptedFor(size)` (`adapted`: enough SGD steps at every size, for both models).
 */
export function sweepPlan(s, { budget, available, adaptedFor }) {
  const seeds = Array.from({ length: s.sws }, (_, i) => s.seed + i);
  return sweepSizes(s.scenario, available, s.swmax).flatMap((size) => {
    const b = budget === 'adapted' ? adaptedFor(size) : { bs: s.bs, ep3: s.ep3, ep4: s.ep4 };
    return seeds.map((seed) => ({ size, seed, bs: b.bs, ep3: b.ep3, ep4: b.ep4 }));
  });
}

/** Per size: test accuracies over the seeds (mean, min, max), epochs to `target`, the budget. */
export function sweepRows(points, target) {
  const sizes = [...new Set(points.map((p) => p.size))].sort((a, b) => a - b);
  return sizes.map((size) => {
    const pts = points.filter((p) => p.size === size).sort((a, b) => a.seed - b.seed);
    const n = pts[0].n;
    const transfer = stats(pts.map((p) => p.transfer));
    const scratch = stats(pts.map((p) => p.scratch));
    return {
      size, n, seeds: pts.map((p) => p.seed), budget: { bs: pts[0].bs, ep3: pts[0].ep3, ep4: pts[0].ep4 },
      transfer, scratch, stage3: stats(pts.map((p) => p.stage3)),
      // Each seed's test accuracies, in seed order (the table carries them for checks).
      values: { transfer: pts.map((p) => p.transfer), stage3: pts.map((p) => p.stage3), scratch: pts.map((p) => p.scratch) },
      tReach: pts.map((p) => epochsTo(p.tVal, p.tSec, target)),
      sReach: pts.map((p) => epochsTo(p.sVal, p.sSec, target)),
      // The means as counts out of the n test images, for the engine's comparison.
      pair: { a: { correct: Math.round(transfer.mean * n), n }, b: { correct: Math.round(scratch.mean * n), n } },
    };
  });
}

/** 'transfer' or 'scratch' (ahead by more than the uncertainty) or 'tie'; null while the engine's answer is pending. */
export function outcome(row, within) {
  if (within === null || within === undefined) return null;
  const d = row.transfer.mean - row.scratch.mean;
  if (within || d === 0) return 'tie';
  return d > 0 ? 'transfer' : 'scratch';
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (v, d = 1) => (Math.round(v * 10 ** d) / 10 ** d).toString();

/**
 * What the sweep shows: per size who is ahead (`outcomes`), the size from which scratch
 * is never behind (`catchUp`, null if it has not caught up by the largest size), and the
 * messages that say so, with the numbers.
 */
export function sweepFindings(rows, within, target) {
  const outcomes = rows.map((r, i) => outcome(r, within[i]));
  if (!rows.length || outcomes.some((o) => o === null)) return { outcomes, catchUp: null, messages: [] };
  const sizes = (pick) => rows.filter((_, i) => outcomes[i] === pick).map((r) => r.size);
  const ahead = sizes('transfer');
  const behind = sizes('scratch');
  const messages = [];
  let catchUp = null;
  if (!ahead.length) {
    catchUp = rows[0].size;
    messages.push({ key: 'lesson.sweep.never', params: { first: rows[0].size, last: rows[rows.length - 1].size } });
  } else {
    const lastAhead = outcomes.lastIndexOf('transfer');
    if (lastAhead < rows.length - 1) {
      catchUp = rows[lastAhead + 1].size;
      messages.push({ key: 'lesson.sweep.catchUp', params: { ahead: ahead.join(', '), size: catchUp } });
    } else {
      messages.push({ key: 'lesson.sweep.notYet', params: { size: rows[rows.length - 1].size } });
    }
  }
  if (behind.length) messages.push({ key: 'lesson.sweep.scratchAhead', params: { sizes: behind.join(', ') } });
  // Speed: the smallest size at which every seed of both models reached the target.
  const both = rows.find((r) => r.tReach.every(Boolean) && r.sReach.every(Boolean));
  if (both) {
    messages.push({ key: 'lesson.sweep.speed', params: {
      size: both.size, target, te: fmt(mean(both.tReach.map((x) => x.epochs))), se: fmt(mean(both.sReach.map((x) => x.epochs))),
    } });
  } else {
    messages.push({ key: 'lesson.sweep.speedNone', params: { target } });
  }
  // The seeds' spread: one seed at a small size says little.
  if (rows[0].seeds.length > 1) {
    let widest = null;
    for (const r of rows) {
      for (const model of ['transfer', 'scratch']) {
        const w = r[model].max - r[model].min;
        if (!widest || w > widest.w) widest = { w, size: r.size, model, min: r[model].min, max: r[model].max };
      }
    }
    messages.push({ key: `lesson.sweep.spread.${widest.model}`, params: { size: widest.size, min: widest.min.toFixed(3), max: widest.max.toFixed(3), seeds: rows[0].seeds.length } });
  }
  return { outcomes, catchUp, messages };
}

// ---------------------------------------------------------------------------------------
// The verdict (transfer vs scratch, one run each)

/**
 * The verdict on one transfer run and one from-scratch run with the same data and budget.
 * `t`, `s`: `{accuracy, correct, n, val, seconds}`; `cmp`: the engine's comparison
 * `{difference, margin, withinUncertainty}` (null while pending); `setup`: `{n (training
 * images), bs, ep3, ep4, lr4}`. Returns `{within, winner, tReach, sReach, messages}`.
 */
export function verdictFindings({ t, s, cmp, target, setup }) {
  const tReach = epochsTo(t.val, t.seconds, target);
  const sReach = epochsTo(s.val, s.seconds, target);
  const epochs = setup.ep3 + setup.ep4;
  const out = { within: null, winner: null, tReach, sReach, messages: [] };
  if (!cmp) return out;
  out.within = cmp.withinUncertainty;
  out.winner = cmp.withinUncertainty ? null : cmp.difference > 0 ? 'transfer' : 'scratch';
  const pts = (v) => fmt(Math.abs(v) * 100, 2);
  const m = out.messages;
  m.push(cmp.withinUncertainty
    ? { key: 'lesson.verdict.within', params: { d: pts(cmp.difference), m: pts(cmp.margin) } }
    : { key: `lesson.verdict.beyond.${out.winner}`, params: { d: pts(cmp.difference), m: pts(cmp.margin) } });
  const secs = (r) => (r.seconds === null ? '?' : fmt(r.seconds));
  if (tReach && sReach) m.push({ key: 'lesson.verdict.speedBoth', params: { target, te: tReach.epochs, ts: secs(tReach), se: sReach.epochs, ss: secs(sReach) } });
  else if (tReach) m.push({ key: 'lesson.verdict.speedTransfer', params: { target, te: tReach.epochs, ts: secs(tReach), epochs } });
  else if (sReach) m.push({ key: 'lesson.verdict.speedScratch', params: { target, se: sReach.epochs, ss: secs(sReach), epochs } });
  else m.push({ key: 'lesson.verdict.speedNone', params: { target, epochs } });
  // Which wins here, and why: chosen by the numbers above.
  const steps = stage3Steps(setup.n, setup.bs, setup.ep3);
  const per = Math.ceil(setup.n / setup.bs);
  const p = { n: setup.n, target, steps, ep3: setup.ep3, per, lr4: setup.lr4, te: tReach?.epochs, se: sReach?.epochs };
  if (out.within) {
    if (tReach && sReach) m.push({ key: tReach.epochs < sReach.epochs ? 'lesson.verdict.why.tieFaster' : 'lesson.verdict.why.tie', params: p });
    else if (tReach) m.push({ key: 'lesson.verdict.why.tieOnlyTransfer', params: p });
    else if (sReach) m.push({ key: 'lesson.verdict.why.tieOnlyScratch', params: p });
    else m.push({ key: 'lesson.verdict.why.tieNone', params: p });
  } else if (out.winner === 'transfer') {
    m.push({ key: 'lesson.verdict.why.transfer', params: p });
  } else {
    m.push({ key: steps < ENOUGH_STEPS3 ? 'lesson.verdict.why.scratchFewSteps' : 'lesson.verdict.why.scratch', params: p });
  }
  return out;
}
