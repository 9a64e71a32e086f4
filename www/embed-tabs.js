// Tabs for the embed's one panel (embed.css, rule 3): a slide has room for one big
// figure, so the charts (or a stage's main table), the Keras code, the layer table and
// the whole epoch log take turns in it. Parts are marked in the page with
// `data-tab-panel="main|code|layers"` (the log is the `.epochs` list); a tab shows
// only where its part exists and is not hidden by `hide=`. The strip exists on the full
// page too but is shown only in embeds (CSS), where the section's `data-tab` picks.
import { t } from './i18n.js';

/** The tabs each section may have, first the one shown at first; the main tab's label. */
const SECTIONS = {
  1: 'embed.tab.modelA', 2: 'embed.tab.modelB', 3: 'embed.tab.training', 4: 'embed.tab.training', compare: 'embed.tab.compare',
  errors: 'lesson.tab.matrices', features: 'lesson.tab.maps', movement: 'lesson.tab.bars', sweep: 'lesson.tab.curves',
};
// The lesson's views add panels of their own (the verdict, a table, the filters, the
// gallery), each labelled by its `data-tab-label`.
const KINDS = ['main', 'verdict', 'layers', 'table', 'filters', 'gallery', 'log', 'code'];

function partOf(section, kind) {
  return kind === 'log' ? section.querySelector('.epochs') : section.querySelector(`[data-tab-panel="${kind}"]`);
}

export function mountTabs(ctx) {
  const strips = [];
  for (const [view, mainLabel] of Object.entries(SECTIONS)) {
    const section = document.querySelector(`section[data-view="${view}"]`);
    const kinds = KINDS.filter((k) => partOf(section, k));
    const strip = document.createElement('div');
    strip.className = 'tabs';
    strip.setAttribute('role', 'tablist');
    strip.dataset.tabsFor = view;
    const buttons = kinds.map((kind) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('role', 'tab');
      b.dataset.tab = kind;
      b.dataset.label = kind === 'main' ? mainLabel : partOf(section, kind).dataset.tabLabel ?? `embed.tab.${kind}`;
      b.addEventListener('click', () => select(kind));
      return b;
    });
    // Arrow keys move between tabs, as in any tab list.
    strip.addEventListener('keydown', (e) => {
      const shown = buttons.filter((b) => !b.hidden);
      const at = shown.indexOf(document.activeElement);
      if (at < 0 || !['ArrowLeft', 'ArrowRight'].includes(e.key)) return;
      const next = shown[(at + (e.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length];
      next.focus();
      select(next.dataset.tab);
    });
    strip.append(...buttons);
    (section.querySelector('.what') ?? section.querySelector('h2')).after(strip);
    section.dataset.tab = 'main';

    function select(kind) {
      section.dataset.tab = kind;
      render1();
      ctx.refit?.();
    }
    function render1() {
      const hidden = new Set(ctx.store.get().hide);
      for (const b of buttons) {
        const part = partOf(section, b.dataset.tab);
        b.hidden = b.dataset.tab !== 'main' && (hidden.has(part.dataset.control) || !!part.closest('[hidden]'));
        b.textContent = t(b.dataset.label);
      }
      // A tab whose part was hidden gives way to the main one.
      if (buttons.find((b) => b.dataset.tab === section.dataset.tab)?.hidden) section.dataset.tab = 'main';
      for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === section.dataset.tab));
      strip.hidden = buttons.filter((b) => !b.hidden).length < 2;
    }
    strips.push(render1);
  }
  return { render() { strips.forEach((f) => f()); } };
}
