// The small-set rule (adapt.js) in the page: applied when the learner switches to their
// images (and again as the set grows, for the values the rule set), put back to the
// lecture's when they switch back; and, beside the stage 3 and stage 4 settings, how
// many SGD steps the current settings give, flagged when a stage gets too few.
import { DEFAULTS, toHash } from '../state.js';
import { t } from '../i18n.js';
import { adaptPatch, unadaptPatch, adaptedFor, steps, MIN_STEPS, ADAPTED_KEYS } from './adapt.js';
import { saveMeta } from '../project.js';

/** Adapts the settings to the learner's training images (scenario 'own'). */
export function readapt(ctx) {
  const n = ctx.available().own;
  if (!n) return;
  const { patch, adapted } = adaptPatch(ctx.store.get(), n, DEFAULTS, ctx.project.adapted);
  ctx.project.adapted = Object.keys(adapted).length ? adapted : null;
  ctx.store.set(patch);
  saveMeta(ctx);
}

/** Back to the built-in images: the rule's values become the lecture's again. */
export function unadapt(ctx) {
  ctx.store.set(unadaptPatch(ctx.store.get(), DEFAULTS, ctx.project.adapted));
  ctx.project.adapted = null;
  saveMeta(ctx);
}

export function mountSteps(ctx) {
  const notes = [...document.querySelectorAll('[data-steps-for]')];

  function render() {
    const s = ctx.store.get();
    const available = s.scenario === 'own' ? ctx.available().own : ctx.available().builtin;
    const st = steps(s, available);
    // On the learner's images: the rule's values for this set, and whether they are the ones in use.
    const want = s.scenario === 'own' && available ? adaptedFor(Math.min(s.n, available)) : null;
    const inUse = want && ADAPTED_KEYS.every((k) => s[k] === want[k]);
    for (const el of notes) {
      const stage = el.dataset.stepsFor;
      const n = st[stage];
      const few = n < MIN_STEPS;
      el.dataset.steps = String(n);
      el.dataset.few = String(few);
      el.classList.toggle('warn', few);
      el.classList.toggle('note', few);
      const parts = [t(few ? 'own.stepsFew' : 'own.steps', { steps: n, epochs: stage === 'stage3' ? s.ep3 : s.ep4, per: st.per, bs: s.bs, min: MIN_STEPS })];
      el.replaceChildren(parts.join(' '));
      if (stage === 'stage3' && want) {
        // A link with the rule's values: it reproduces them, and following it applies them.
        const link = document.createElement('a');
        link.href = toHash({ ...s, ...want }) || '#';
        link.className = 'adapted-link';
        link.textContent = t(inUse ? 'own.adaptedLink' : 'own.suggestedLink');
        const params = { n: Math.min(s.n, available), bs: want.bs, ep3: want.ep3, ep4: want.ep4 };
        el.append(' ', t(inUse ? 'own.adapted' : 'own.suggested', params), ' ', link);
      }
      if (stage === 'stage3') el.dataset.adapted = String(!!inUse);
    }
  }
  return { render };
}
