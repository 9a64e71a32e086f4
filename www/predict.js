// Predict on one image: a test image of the current data set by index, an uploaded one
// (prepared in the worker exactly like training images), or live webcam frames
// (predict-camera.js). The answer is kept as data — the probability of each class from
// B after transfer and from scratch — and worded at render time, in the class names of
// the data each model was trained on (the learner's, for their own images).
import { t } from './i18n.js';
import { floatToRGBA, prepareOne } from './image.js';
import { computedOn } from './backend.js';
import { pageError } from './errors.js';
import { modelClassNames, namesFor } from './own/classes.js';
import { probBars } from './prob-bars.js';
import { mountPredictCamera } from './predict-camera.js';

export function mountPredict(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  let last = null; // {p: {b?, scratch?, backend}, label?, image: {data, shape}, source}

  /** Shows the answer for `image` (label: its true class, if known). */
  async function predict(image, label, source = 'test') {
    let p = await ctx.engine.call('predict', { data: image.data });
    // An embed of this section alone has no stage to train B in: it trains it first.
    if (p.b === undefined && p.scratch === undefined && ctx.store.get().embed && flow) {
      await flow.ensure('stage4');
      p = await ctx.engine.call('predict', { data: image.data });
    }
    if (p.b === undefined && p.scratch === undefined) throw pageError('NOT_TRAINED', { which: 'b' });
    last = { p, label, image, source };
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
    await predict(await prepareOne(ctx, { name: f.name, blob: f }, ctx.a.inputShape), undefined, 'upload');
  }));
  const camera = mountPredictCamera(ctx, { predict: (image) => predict(image, undefined, 'webcam') });

  function render() {
    // The lecture's binary task names its positive class; the learner's classes are listed.
    const names1 = ctx.classNames();
    $('#pred-what').textContent = ctx.store.get().scenario === 'builtin' ? t('pred.what', { cls: names1[1] }) : t('pred.whatMany', { names: names1.join(', ') });
    camera.render();
    const out = $('#pred-out');
    const bars = $('#pred-bars');
    if (!last) { out.textContent = ''; bars.replaceChildren(); return; }
    const { p, label, image } = last;
    const [h, w, c] = image.shape;
    const cv = $('#pred-canvas');
    cv.width = w; cv.height = h;
    cv.getContext('2d').putImageData(new ImageData(floatToRGBA(image.data, h, w, c), w, h), 0, 0);
    const models = [['b', t('pred.b')], ['scratch', t('cmp.scratch')]].filter(([k]) => p[k] !== undefined);
    const parts = [];
    const figs = [];
    for (const [k, title] of models) {
      const names = modelClassNames(ctx, k) ?? namesFor(ctx, ctx.store.get().scenario);
      const probs = p[k];
      const top = probs.indexOf(Math.max(...probs));
      parts.push(`${title}: ${t('pred.top', { cls: names[top] ?? `#${top + 1}`, p: probs[top].toFixed(4) })}`);
      figs.push(probBars({ title, names, probs, model: k }));
    }
    if (label !== undefined) parts.push(t('pred.truth', { cls: ctx.classNames()[label] ?? String(label) }));
    if (p.backend) parts.push(computedOn(p.backend));
    const first = p.b ?? p.scratch;
    out.dataset.backend = p.backend ?? '';
    // P(class 1) for two classes (the lecture's output), else the top class's probability.
    out.dataset.p = String(first.length === 2 ? first[1] : Math.max(...first));
    out.dataset.probs = JSON.stringify(first);
    out.dataset.top = figs[0]?.dataset.top ?? '';
    out.dataset.source = last.source;
    out.dataset.label = label === undefined ? '' : String(label);
    out.textContent = parts.join(' · ');
    bars.replaceChildren(...figs);
  }

  return { render };
}
