// Predict on one image: a test image of the current data set by index, or an uploaded
// one (prepared in the worker exactly like training images). The answer is kept as
// data and worded at render time, in the learner's class names.
import { t } from './i18n.js';
import { floatToRGBA } from './image.js';
import { computedOn } from './backend.js';
import { pageError } from './errors.js';

export function mountPredict(ctx) {
  const $ = (s) => document.querySelector(s);
  let last = null; // {p: {b?, scratch?, backend}, label?, image: {data, shape}}

  async function predict(image, label) {
    const p = await ctx.engine.call('predict', { data: image.data });
    if (p.b === undefined && p.scratch === undefined) throw pageError('NOT_TRAINED', { which: 'b' });
    last = { p, label, image };
    render();
  }

  $('#pred-run').addEventListener('click', () => ctx.guard(async () => {
    const r = await ctx.engine.call('testImage', { index: Number($('#pred-index').value), scenario: ctx.store.get().scenario });
    await predict({ data: r.data, shape: r.shape }, r.label);
  }));
  $('#pred-file').addEventListener('change', (e) => ctx.guard(async () => {
    const f = e.target.files[0];
    e.target.value = '';
    if (!f) return;
    const r = await ctx.engine.call('prepareImages', { files: [{ name: f.name, blob: f, label: 0 }], invert: $('#invert').checked, shape: ctx.a.inputShape });
    if (!r.images.length) throw r.skipped[0].error;
    await predict({ data: r.images[0].data, shape: r.shape });
  }));

  function render() {
    $('#pred-what').textContent = t('pred.what', { cls: ctx.className(1) });
    const out = $('#pred-out');
    if (!last) { out.textContent = ''; return; }
    const { p, label, image } = last;
    const [h, w, c] = image.shape;
    const cv = $('#pred-canvas');
    cv.width = w; cv.height = h;
    cv.getContext('2d').putImageData(new ImageData(floatToRGBA(image.data, h, w, c), w, h), 0, 0);
    const fmt = (v) => t('pred.prob', { p: v.toFixed(4), positive: ctx.className(1), cls: ctx.className(v >= 0.5 ? 1 : 0) });
    const parts = [];
    if (p.b !== undefined) parts.push(`${t('pred.b')}: ${fmt(p.b)}`);
    if (p.scratch !== undefined) parts.push(`${t('cmp.scratch')}: ${fmt(p.scratch)}`);
    if (label !== undefined) parts.push(t('pred.truth', { cls: ctx.className(label) }));
    if (p.backend) parts.push(computedOn(p.backend));
    out.dataset.backend = p.backend ?? '';
    out.dataset.p = String(p.b);
    out.dataset.label = label === undefined ? '' : String(label);
    out.textContent = parts.join(' · ');
  }

  return { render };
}
