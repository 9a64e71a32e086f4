// Predict on one image: a test image by index, or an uploaded one (resized in the
// worker exactly like training images).
import { t, errorText } from './i18n.js';
import { floatToRGBA } from './image.js';
import { computedOn } from './backend.js';

export function mountPredict(ctx) {
  const $ = (s) => document.querySelector(s);
  function show(data, [h, w, c]) {
    const cv = $('#pred-canvas');
    cv.width = w; cv.height = h;
    cv.getContext('2d').putImageData(new ImageData(floatToRGBA(data, h, w, c), w, h), 0, 0);
  }
  async function predict(data, label) {
    await ctx.ensure(2);
    const p = await ctx.engine.call('predict', { data });
    const names = ctx.classNames;
    const fmt = (v) => t('pred.prob', { p: v.toFixed(4), cls: v >= 0.5 ? names[1] : names[0] });
    const parts = [];
    if (p.b !== undefined) parts.push(`${t('pred.b')}: ${fmt(p.b)}`);
    if (p.scratch !== undefined) parts.push(`${t('cmp.scratch')}: ${fmt(p.scratch)}`);
    if (label !== undefined) parts.push(t('pred.truth', { cls: names[label] }));
    if (p.backend) parts.push(computedOn(p.backend));
    const out = $('#pred-out');
    out.dataset.backend = p.backend ?? '';
    out.dataset.p = String(p.b);
    out.textContent = parts.join(' · ');
  }
  $('#pred-run').addEventListener('click', () => ctx.guard(async () => {
    const r = await ctx.engine.call('testImage', { index: Number($('#pred-index').value) });
    show(r.data, r.shape);
    await predict(r.data, r.label);
  }));
  $('#pred-file').addEventListener('change', (e) => ctx.guard(async () => {
    const f = e.target.files[0];
    if (!f) return;
    const r = await ctx.engine.call('prepareImages', { files: [{ name: f.name, blob: f, label: 0 }], invert: $('#invert').checked });
    if (!r.images.length) { $('#pred-out').textContent = t('own.skipped', { names: f.name }); return; }
    show(r.images[0].data, r.shape);
    await predict(r.images[0].data);
  }).catch((err) => { $('#pred-out').textContent = errorText(err); }));
}
