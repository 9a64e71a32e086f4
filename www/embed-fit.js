// Keeps an embed inside its frame (embed.css, rule 1). The layout is made to fit at
// the presenter scale the link asks for; this is the safety net for what it cannot
// foresee (a custom frame size, a large presenter scale, a long error message): while
// the document or a panel would overflow, the fit factor `--fit` (on <html>) goes down
// a step, so text gets smaller instead of being cut off or scrolled. It starts again
// from 1 whenever the frame, the language, the stage, the parts or the tab change;
// during a run it only ever shrinks, so the layout does not jump back and forth.
// `<html data-fit>` tells tests (and the curious) how much it had to shrink.

const STEP = 0.04;
const MIN = 0.6;

function overflows() {
  const root = document.documentElement;
  if (root.scrollHeight > innerHeight + 1 || root.scrollWidth > innerWidth + 1) return true;
  // A part that overflows its grid row pushes past the section's own box.
  const section = document.querySelector('.stage:not([hidden])');
  if (section && (section.scrollHeight > section.clientHeight + 1 || section.scrollWidth > section.clientWidth + 1)) return true;
  // A panel part (code, a table) fits its grid area or is cut off inside it.
  for (const el of document.querySelectorAll('.stage:not([hidden]) [data-tab-panel]')) {
    if (!el.offsetParent) continue; // not shown
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) return true;
  }
  return false;
}

export function mountFit() {
  const root = document.documentElement;
  let fit = 1;
  let queued = null; // 'refit' | 'shrink' | null

  function set(f) {
    fit = f;
    root.style.setProperty('--fit', String(f));
    root.dataset.fit = f.toFixed(2);
  }

  function run(mode) {
    if (!root.hasAttribute('data-embed')) { if (fit !== 1) set(1); return; }
    if (mode === 'refit') set(1);
    while (fit > MIN && overflows()) set(Math.max(MIN, Math.round((fit - STEP) * 100) / 100));
  }

  /** Runs once per frame at most; a refit asked for wins over a shrink. */
  function schedule(mode) {
    if (queued) { if (mode === 'refit') queued = 'refit'; return; }
    queued = mode;
    requestAnimationFrame(() => { const m = queued; queued = null; run(m); });
  }

  set(1);
  addEventListener('resize', () => schedule('refit'));
  return {
    /** Something that changes the layout's needs (frame, language, parts, tab). */
    refit: () => schedule('refit'),
    /** Content grew (a progress line, a result): shrink if it no longer fits. */
    check: () => schedule('shrink'),
  };
}
