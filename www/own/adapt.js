// Settings that work on a small set. The lecture's defaults (batch 32, 4 + 16 epochs)
// assume 200 training images: 7 batches an epoch, 28 SGD steps in stage 3. On 23 images
// they are one batch an epoch, 4 steps in stage 3: the new output layer barely moves
// and validation sits at the majority class. So on the learner's images the batch size
// and the epochs are adapted to the set's size, to give each stage a sensible number
// of SGD steps; and any setting that leaves a stage with too few steps is flagged.
// Pure functions (tested under Node); `adaptedFor` is the one rule.

/** Below this many SGD steps a stage is flagged as too short to learn much. */
export const MIN_STEPS = 10;

/** What the adapted defaults aim for: SGD steps in stage 3 and in stage 4. */
export const TARGET_STEPS = { stage3: 50, stage4: 100 };

/** The keys the rule sets (all in state.js's table, within its ranges). */
export const ADAPTED_KEYS = ['bs', 'ep3', 'ep4'];

/** Batches per epoch: `fit` runs a last, smaller batch for the remainder. */
export function stepsPerEpoch(n, bs) {
  return n > 0 && bs > 0 ? Math.ceil(n / bs) : 0;
}

/**
 * The adapted settings for `n` training images:
 * - batch size: the largest power of two up to the lecture's 32 that still gives at
 *   least 4 batches an epoch (23 images -> 4; 200 or more -> 32);
 * - epochs: enough for ~50 steps in stage 3 and ~100 in stage 4 (its learning rate is
 *   100 times smaller), never fewer than the lecture's 4 and 16, at most the table's 200.
 * 23 images: batch 4, 6 batches an epoch, 9 + 17 epochs = 54 + 102 steps.
 */
export function adaptedFor(n) {
  let bs = 32;
  while (bs > 1 && n / bs < 4) bs /= 2;
  const per = Math.max(1, stepsPerEpoch(n, bs));
  const epochs = (target, lecture) => Math.min(200, Math.max(lecture, Math.ceil(target / per)));
  return { bs, ep3: epochs(TARGET_STEPS.stage3, 4), ep4: epochs(TARGET_STEPS.stage4, 16) };
}

/** SGD steps of each training job for state `s` with `available` training images. */
export function steps(s, available) {
  const per = stepsPerEpoch(Math.min(s.n, available ?? s.n), s.bs);
  return { stage3: s.ep3 * per, stage4: s.ep4 * per, scratch: (s.ep3 + s.ep4) * per, per };
}

/**
 * The patch that adapts state `s` to `n` training images. A value the learner (or a
 * link) chose is kept: only keys still at the lecture's default or at the values this
 * rule set last time (`previous`) are changed. Returns `{patch, adapted}`; `adapted` is
 * what to remember as "set by the rule".
 */
export function adaptPatch(s, n, defaults, previous = null) {
  const want = adaptedFor(n);
  const patch = {};
  const adapted = {};
  for (const k of ADAPTED_KEYS) {
    const free = s[k] === defaults[k] || (previous && s[k] === previous[k]);
    if (!free) continue;
    adapted[k] = want[k];
    if (s[k] !== want[k]) patch[k] = want[k];
  }
  return { patch, adapted };
}

/** The patch that puts the rule's values back to the lecture's (leaving the learner's own). */
export function unadaptPatch(s, defaults, previous) {
  const patch = {};
  for (const k of ADAPTED_KEYS) if (previous && k in previous && s[k] === previous[k]) patch[k] = defaults[k];
  return patch;
}
