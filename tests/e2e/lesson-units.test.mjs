// The lesson's pure parts under Node (no browser): the page's small-set rule
// (www/own/adapt.js adaptedFor) agrees with `cargo xtask sweep`'s mirror of it, through
// the committed table both are checked against (tests/fixtures/adapted-budgets.json, made
// by `cargo xtask sweep --print-budgets`; xtask/src/budget.rs checks its side); the sweep's
// plan, rows and findings, and the verdict's findings, from hand-made numbers: each
// message is chosen by the numbers (within the uncertainty or not, who is ahead, whether
// and when each run reached the target).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { adaptedFor } from '../../www/own/adapt.js';
import {
  epochsTo, joined, sweepSizes, sweepPlan, sweepRows, sweepFindings, verdictFindings, stage3Steps,
} from '../../www/lesson/summary.js';

test('the JS small-set rule is the table cargo xtask sweep --print-budgets wrote (1 to 1,000 images)', () => {
  const table = JSON.parse(readFileSync('tests/fixtures/adapted-budgets.json', 'utf8'));
  assert.equal(table.budgets.length, 1000);
  for (const row of table.budgets) {
    assert.deepEqual(adaptedFor(row.n), { bs: row.bs, ep3: row.ep3, ep4: row.ep4 }, `${row.n} images`);
  }
});

test('epochs to a target: the first epoch at or above it, with its time; stage 4 counted after stage 3', () => {
  assert.deepEqual(epochsTo([0.9, 0.95, 0.97], [1, 2, 3], 0.95), { epochs: 2, seconds: 2 });
  assert.equal(epochsTo([0.9, 0.94], [1, 2], 0.95), null);
  assert.deepEqual(epochsTo([0.96], null, 0.95), { epochs: 1, seconds: null });
  const j = joined({ val_accuracy: [0.9, 0.93] }, [1, 2], { val_accuracy: [0.96] }, [0.5]);
  assert.deepEqual(j, { val: [0.9, 0.93, 0.96], seconds: [1, 2, 2.5] });
  assert.deepEqual(epochsTo(j.val, j.seconds, 0.95), { epochs: 3, seconds: 2.5 });
});

test('the sweep plan: the lecture sizes up to the limit and the pool, the learner\'s own count last; seeds from the seed; each budget', () => {
  assert.deepEqual(sweepSizes('builtin', 200, 1000), [10, 20, 50, 100, 200, 500, 1000]);
  assert.deepEqual(sweepSizes('builtin', 200, 60), [10, 20, 50]);
  assert.deepEqual(sweepSizes('own', 37, 1000), [10, 20, 37]);
  assert.deepEqual(sweepSizes('own', 20, 1000), [10, 20]);
  assert.deepEqual(sweepSizes('own', 6, 1000), [6]);
  assert.deepEqual(sweepSizes('own', 37, 25), [10, 20]);
  const s = { scenario: 'builtin', swmax: 20, sws: 2, seed: 7, bs: 32, ep3: 4, ep4: 16 };
  assert.deepEqual(sweepPlan(s, { budget: 'lecture', available: 200, adaptedFor }), [
    { size: 10, seed: 7, bs: 32, ep3: 4, ep4: 16 }, { size: 10, seed: 8, bs: 32, ep3: 4, ep4: 16 },
    { size: 20, seed: 7, bs: 32, ep3: 4, ep4: 16 }, { size: 20, seed: 8, bs: 32, ep3: 4, ep4: 16 },
  ]);
  const adapted = sweepPlan(s, { budget: 'adapted', available: 200, adaptedFor });
  assert.deepEqual(adapted.map((p) => [p.size, p.bs, p.ep3, p.ep4]), [[10, 2, 10, 20], [10, 2, 10, 20], [20, 4, 10, 20], [20, 4, 10, 20]]);
  assert.equal(stage3Steps(10, 32, 4), 4);
  assert.equal(stage3Steps(10, 2, 10), 50);
});

/** A sweep point as the worker posts it. */
function point(size, seed, transfer, scratch, tVal = [], sVal = []) {
  return { size, seed, bs: 32, ep3: 4, ep4: 16, n: 2000, stage3: transfer - 0.01, transfer, scratch, tVal, sVal, tSec: tVal.map((_, i) => i + 1), sSec: sVal.map((_, i) => i + 1) };
}

test('sweep rows: mean, min and max over the seeds, the means as counts for the engine, epochs to the target', () => {
  const rows = sweepRows([point(20, 2, 0.7, 0.9, [0.96], [0.9, 0.95]), point(10, 1, 0.6, 0.8), point(10, 2, 0.8, 0.85)], 0.95);
  assert.deepEqual(rows.map((r) => r.size), [10, 20]);
  assert.ok(Math.abs(rows[0].transfer.mean - 0.7) < 1e-12);
  assert.deepEqual([rows[0].transfer.min, rows[0].transfer.max], [0.6, 0.8]);
  assert.deepEqual(rows[0].pair, { a: { correct: 1400, n: 2000 }, b: { correct: 1650, n: 2000 } });
  assert.deepEqual(rows[1].tReach, [{ epochs: 1, seconds: 1 }]);
  assert.deepEqual(rows[1].sReach, [{ epochs: 2, seconds: 2 }]);
  assert.deepEqual(rows[0].tReach, [null, null]);
});

test('sweep findings follow the numbers: never ahead, catches up, not yet; speed and spread', () => {
  const reach = [0.96, 0.97];
  const rows = sweepRows([
    point(10, 1, 0.95, 0.70, reach, []), point(10, 2, 0.97, 0.75, reach, []),
    point(100, 1, 0.97, 0.96, reach, reach), point(100, 2, 0.98, 0.97, reach, [0.9, 0.95]),
    point(1000, 1, 0.99, 0.99, reach, reach), point(1000, 2, 0.99, 0.99, reach, reach),
  ], 0.95);
  // Ahead at 10 (beyond the uncertainty), within from 100: scratch catches up at 100.
  let f = sweepFindings(rows, [false, true, true], 0.95);
  assert.deepEqual(f.outcomes, ['transfer', 'tie', 'tie']);
  assert.equal(f.catchUp, 100);
  assert.deepEqual(f.messages.map((m) => m.key), ['lesson.sweep.catchUp', 'lesson.sweep.speed', 'lesson.sweep.spread.scratch']);
  assert.deepEqual(f.messages[0].params, { ahead: '10', size: 100 });
  assert.deepEqual(f.messages[1].params, { size: 100, target: 0.95, te: '1', se: '1.5' });
  // Ahead at every size: not caught up.
  f = sweepFindings(rows, [false, false, false], 0.95);
  assert.equal(f.outcomes[2], 'tie', 'equal means: beyond the uncertainty is not "ahead"');
  // Never ahead (scratch ahead at the smallest size).
  const low = sweepRows([point(10, 1, 0.6, 0.8), point(20, 1, 0.9, 0.9)], 0.95);
  f = sweepFindings(low, [false, true], 0.95);
  assert.deepEqual(f.outcomes, ['scratch', 'tie']);
  assert.equal(f.catchUp, 10);
  assert.deepEqual(f.messages.map((m) => m.key), ['lesson.sweep.never', 'lesson.sweep.scratchAhead', 'lesson.sweep.speedNone']);
  f = sweepFindings(rows, [false, false, null], 0.95);
  assert.deepEqual(f.messages, [], 'nothing is said while the engine has not answered');
  f = sweepFindings(sweepRows([point(10, 1, 0.9, 0.6), point(20, 1, 0.9, 0.6)], 0.95), [false, false], 0.95);
  assert.equal(f.catchUp, null);
  assert.equal(f.messages[0].key, 'lesson.sweep.notYet');
});

test('the verdict: within the uncertainty or a named winner, with the reason the numbers give', () => {
  const setup = { n: 200, bs: 32, ep3: 4, ep4: 16, lr4: 1e-4 };
  const t = { val: [0.9, 0.96, 0.97], seconds: [1, 2, 3] };
  const s = { val: [0.8, 0.9, 0.94, 0.955], seconds: [1, 2, 3, 4] };
  let f = verdictFindings({ t, s, cmp: { difference: -0.004, margin: 0.011, withinUncertainty: true }, target: 0.95, setup });
  assert.equal(f.within, true);
  assert.equal(f.winner, null);
  assert.deepEqual(f.messages.map((m) => m.key), ['lesson.verdict.within', 'lesson.verdict.speedBoth', 'lesson.verdict.why.tieFaster']);
  assert.deepEqual(f.messages[1].params, { target: 0.95, te: 2, ts: '2', se: 4, ss: '4' });
  assert.equal(f.messages[0].params.d, '0.4');
  // Beyond the uncertainty, scratch ahead, with few stage-3 steps (10 images: 4 steps).
  f = verdictFindings({ t, s, cmp: { difference: -0.03, margin: 0.02, withinUncertainty: false }, target: 0.95, setup: { ...setup, n: 10 } });
  assert.equal(f.winner, 'scratch');
  assert.deepEqual(f.messages.map((m) => m.key), ['lesson.verdict.beyond.scratch', 'lesson.verdict.speedBoth', 'lesson.verdict.why.scratchFewSteps']);
  assert.equal(f.messages[2].params.steps, 4);
  // Enough steps and scratch still ahead: another reason.
  f = verdictFindings({ t, s, cmp: { difference: -0.03, margin: 0.02, withinUncertainty: false }, target: 0.95, setup: { ...setup, n: 500 } });
  assert.equal(f.messages[2].key, 'lesson.verdict.why.scratch');
  // Transfer ahead, scratch never reaching the target.
  f = verdictFindings({ t, s: { val: [0.5, 0.6], seconds: null }, cmp: { difference: 0.05, margin: 0.02, withinUncertainty: false }, target: 0.95, setup });
  assert.equal(f.winner, 'transfer');
  assert.deepEqual(f.messages.map((m) => m.key), ['lesson.verdict.beyond.transfer', 'lesson.verdict.speedTransfer', 'lesson.verdict.why.transfer']);
  // Nothing is decided before the engine's comparison arrives.
  f = verdictFindings({ t, s, cmp: null, target: 0.95, setup });
  assert.equal(f.within, null);
  assert.deepEqual(f.messages, []);
});
