// "Errors as pictures": the confusion matrices of B after stage 3, after stage 4 and
// from scratch side by side (by class name), and the gallery of one model's most
// confident mistakes with their probabilities. Everything comes from the training
// results (worker-lesson.js `lessonExtras`), so it is marked out of date, saved and
// restored with them.
import { t } from '../i18n.js';
import { markSection } from './mark.js';
import { matrixFigure } from './confusion.js';
import { galleryItems } from './gallery.js';
import { errorsCode } from './keras-lesson.js';
import { classNameOf } from './classes.js';

const KINDS = ['stage3', 'stage4', 'scratch'];

export function mountErrors(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#errors');
  let picked = 'stage4';

  const pick = $('#err-pick');
  for (const k of KINDS) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'err-pick';
    input.value = k;
    input.checked = k === picked;
    input.addEventListener('change', () => { picked = k; render(); });
    const span = document.createElement('span');
    span.dataset.kindLabel = k;
    label.append(input, ' ', span);
    pick.append(label);
  }
  $('#err-run').addEventListener('click', () => ctx.guard(async () => {
    await flow.ensure('stage4');
    await flow.ensure('scratch');
  }));

  function names(rec, classes) {
    return Array.from({ length: classes }, (_, i) => classNameOf(ctx, i, rec.settings.scenario));
  }

  function render() {
    markSection(ctx, section, $('#err-stale'), KINDS);
    $('#code-errors').textContent = errorsCode();
    pick.querySelectorAll('[data-kind-label]').forEach((s) => { s.textContent = t(`lesson.kind.${s.dataset.kindLabel}`); });
    $('#err-run').disabled = KINDS.some((k) => ctx.running.has(k));
    const figs = KINDS.map((k) => {
      const rec = ctx.results.get(k);
      const c = rec?.value.confusion;
      if (!c) {
        const empty = document.createElement('figure');
        empty.className = 'matrix empty';
        empty.textContent = t('lesson.errors.none', { kind: t(`lesson.kind.${k}`) });
        empty.dataset.kind = k;
        return empty;
      }
      const fig = matrixFigure(c, names(rec, c.classes), t(`lesson.kind.${k}`));
      fig.dataset.kind = k;
      fig.dataset.picked = String(k === picked);
      return fig;
    });
    $('#err-matrices').replaceChildren(...figs);
    const rec = ctx.results.get(picked);
    const c = rec?.value.confusion;
    const gallery = $('#err-gallery');
    gallery.dataset.kind = picked;
    if (!c) { gallery.replaceChildren(); return; }
    const head = document.createElement('p');
    head.className = 'small';
    head.textContent = t('lesson.errors.gallery', { kind: t(`lesson.kind.${picked}`), shown: c.misclassified.length, total: c.wrongTotal });
    const row = document.createElement('div');
    row.className = 'mistakes';
    row.append(...galleryItems(c, names(rec, c.classes)));
    gallery.replaceChildren(head, row);
  }

  return { render };
}
