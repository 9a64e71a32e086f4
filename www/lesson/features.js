// "What the reused layers see": for one image (a test image by number, or an upload
// prepared exactly as training images are), the feature maps of every Conv2D and
// pooling layer in model A and in model B after fine-tuning, side by side, and the first
// layer's learned filters of both. The maps are the engine's `layerOutputsAsync`
// (computed where training runs), kept as a `features` result: its provenance is stage 4
// (B after fine-tuning) and the settings stage 4 used, so a re-run of stage 4 marks it
// out of date; it is saved and restored with the project.
import { t } from '../i18n.js';
import { makeRecord } from '../results.js';
import { renderFreshness } from '../freshness.js';
import { saveResults } from '../project.js';
import { computedOn } from '../backend.js';
import { prepareOne } from '../image.js';
import { drawMaps, drawFilters, drawImage, largest } from './maps.js';
import { featuresCode } from './keras-lesson.js';
import { classNameOf } from './classes.js';

/** ‖b − a‖ / ‖a‖ of two equal-length arrays (how far B's maps are from A's). */
function relativeDifference(a, b) {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (b[i] - a[i]) ** 2;
    n += a[i] ** 2;
  }
  return n > 0 ? Math.sqrt(d / n) : 0;
}

// Two significant digits: B's maps differ from A's by hundredths of a percent.
const pct = (v) => `${v === 0 ? '0' : (v * 100).toPrecision(2)} %`;

export function mountFeatures(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#features');

  async function show(image, meta) {
    // B after fine-tuning, current: stage 4 (and what it needs) runs first if it must.
    await flow.ensure('stage4');
    const base = makeRecord('features', ctx.now(), null);
    ctx.running.add('features');
    ctx.render();
    try {
      const r = await ctx.engine.call('featureMaps', { data: image.data, shape: image.shape });
      // Plain arrays: a result is saved in IndexedDB and in a project zip's JSON as it is.
      const plain = (a) => Array.from(a);
      const value = {
        ...meta, backend: r.backend, image: { data: plain(image.data), shape: image.shape },
        layers: r.layers.map((l) => ({ ...l, a: plain(l.a), b: plain(l.b) })),
        filters: r.filters && { index: r.filters.index, a: { shape: r.filters.a.shape, data: plain(r.filters.a.data) }, b: { shape: r.filters.b.shape, data: plain(r.filters.b.data) } },
      };
      ctx.results.put({ ...base, value });
      saveResults(ctx);
    } finally {
      ctx.running.delete('features');
      ctx.render();
    }
  }

  $('#feat-run').addEventListener('click', () => ctx.guard(async () => {
    const r = await ctx.engine.call('testImage', { index: Number($('#feat-index').value), scenario: ctx.store.get().scenario });
    await show({ data: r.data, shape: r.shape }, { index: r.index, label: r.label });
  }));
  $('#feat-file').addEventListener('change', (e) => ctx.guard(async () => {
    const f = e.target.files[0];
    e.target.value = '';
    if (!f) return;
    await show(await prepareOne(ctx, { name: f.name, blob: f }, ctx.a.inputShape), { index: null, label: null, name: f.name });
  }));

  function headCell(text) {
    const el = document.createElement('div');
    el.className = 'maps-head';
    el.textContent = text;
    return el;
  }

  function renderMaps(rec) {
    const v = rec.value;
    const grid = document.createElement('div');
    grid.className = 'maps-grid';
    const pic = document.createElement('canvas');
    pic.className = 'pix maps-input';
    pic.id = 'feat-image';
    pic.setAttribute('role', 'img');
    pic.setAttribute('aria-label', t('pred.imageAria'));
    drawImage(pic, v.image);
    const what = v.index === null ? (v.name ?? '') : t('lesson.features.image', { index: v.index, cls: classNameOf(ctx, v.label, rec.settings.scenario) });
    const first = document.createElement('div');
    first.className = 'maps-head';
    first.append(pic, ' ', what);
    grid.append(first, headCell(t('lesson.features.a')), headCell(t('lesson.features.b')));
    for (const l of v.layers) {
      const label = document.createElement('div');
      label.className = 'maps-label small';
      label.textContent = t('lesson.features.layer', { name: l.name, cls: l.className, shape: l.shape.join('×'), diff: pct(relativeDifference(l.a, l.b)) });
      grid.append(label);
      for (const model of ['a', 'b']) {
        const c = document.createElement('canvas');
        c.className = 'pix map';
        c.dataset.model = model;
        c.dataset.layer = String(l.index);
        c.setAttribute('role', 'img');
        c.setAttribute('aria-label', t('lesson.features.mapAria', { model: model.toUpperCase(), name: l.name }));
        const ranges = drawMaps(c, l[model], l.shape);
        c.dataset.ranges = JSON.stringify(ranges);
        grid.append(c);
      }
    }
    $('#feat-maps').replaceChildren(grid);
  }

  function renderFilters(v) {
    const box = $('#feat-filters');
    if (!v.filters) { box.replaceChildren(); return; }
    const { a, b } = v.filters;
    const scale = Math.max(largest(a), largest(b));
    let moved = 0;
    for (let i = 0; i < a.data.length; i++) moved = Math.max(moved, Math.abs(b.data[i] - a.data[i]));
    const cell = (kernel, model) => {
      const fig = document.createElement('figure');
      const c = document.createElement('canvas');
      c.className = 'pix filter';
      c.dataset.model = model;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', t('lesson.features.filtersAria', { model: model.toUpperCase() }));
      drawFilters(c, kernel, scale);
      const cap = document.createElement('figcaption');
      cap.textContent = t(model === 'a' ? 'lesson.features.a' : 'lesson.features.b');
      fig.append(c, cap);
      return fig;
    };
    const text = document.createElement('p');
    text.className = 'small';
    text.dataset.moved = String(moved);
    const [kh, kw, cin, nf] = a.shape;
    text.textContent = t('lesson.features.filters', { n: nf, kh, kw, cin, moved: moved.toPrecision(2), rel: pct(moved / (scale || 1)) });
    const row = document.createElement('div');
    row.className = 'filters-row';
    row.append(cell(a, 'a'), cell(b, 'b'));
    box.replaceChildren(row, text);
  }

  function render() {
    renderFreshness(ctx, section, 'features', { running: ctx.running.has('features') });
    $('#code-features').textContent = featuresCode();
    $('#feat-run').disabled = ctx.running.has('features');
    const rec = ctx.results.get('features');
    const note = $('#feat-note');
    if (!rec) {
      $('#feat-maps').replaceChildren();
      $('#feat-filters').replaceChildren();
      note.textContent = t('lesson.features.empty');
      return;
    }
    const v = rec.value;
    renderMaps(rec);
    renderFilters(v);
    note.textContent = `${t('lesson.features.scale')} (${computedOn(v.backend)})`;
    note.dataset.backend = v.backend;
  }

  return { render };
}
