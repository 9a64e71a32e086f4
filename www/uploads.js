// The learner's own images: two labelled classes, each with a file picker and a drop
// zone. Files are prepared in the worker (decode + crop + resize there) and come back
// as model inputs with previews; they are kept in the project (saved as they come)
// and shown from it, so a reload shows them again. Files that cannot be used are
// named with the reason.
import { t, describe, errorText } from './i18n.js';
import { splitOwn, usable } from './own-data.js';
import { sendData } from './project.js';

const MAX_PREVIEW = 200 * 1024 * 1024; // above this a file is not shown as "before" (memory)

export function mountUploads(ctx) {
  const $ = (s) => document.querySelector(s);
  const originals = new Map(); // image id -> object URL of the file (this visit only)
  let message = null;          // the last message, as a value (re-worded on render)
  let skipped = [];            // [{name, error}] of the last batch
  let shownIds = '';

  async function add(label, fileList) {
    const files = [...fileList];
    if (!files.length) return;
    message = { key: 'own.working', params: { n: files.length } };
    render();
    const off = ctx.engine.onProgress((job, ev) => {
      if (job === 'images') { message = { key: 'own.progress', params: { done: ev.done, total: ev.total } }; renderStatus(); }
    });
    try {
      const r = await ctx.engine.call('prepareImages', {
        files: files.map((f) => ({ name: f.name, blob: f, label })),
        invert: $('#invert').checked, shape: ctx.project.images[0]?.shape,
      });
      const stamp = Date.now().toString(36);
      const added = r.images.map((im, i) => ({ id: `${stamp}-${label}-${i}-${Math.random().toString(36).slice(2, 6)}`, ...im }));
      for (const im of added) {
        const file = files.find((f) => f.name === im.name);
        if (file && file.size < MAX_PREVIEW) originals.set(im.id, URL.createObjectURL(file));
      }
      ctx.project.images = [...ctx.project.images, ...added];
      await ctx.persist.putImages(added);
      await sendData(ctx.engine.call, ctx);
      skipped = r.skipped;
      message = { key: 'own.done', params: { n: added.length, shape: r.shape.join('×') } };
      ctx.imagesChanged();
    } finally {
      off();
      render();
    }
  }

  for (const label of [0, 1]) {
    $(`#files-${label}`).addEventListener('change', (e) => ctx.guard(() => add(label, e.target.files).finally(() => { e.target.value = ''; })));
    const zone = $(`#drop-${label}`);
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); ctx.guard(() => add(label, e.dataTransfer.files)); });
  }

  $('#own-use').addEventListener('click', () => {
    if (!usable(ctx.project.images)) { message = { code: 'NEED_BOTH_CLASSES', params: {} }; render(); return; }
    ctx.setScenario('own');
    const { train, valid } = splitOwn(ctx.project.images);
    message = { key: 'own.using', params: { train: train.length, valid: valid.length } };
    render();
  });
  $('#own-builtin').addEventListener('click', () => {
    ctx.setScenario('builtin');
    message = { key: 'own.usingBuiltin', params: { train: ctx.available().builtin } };
    render();
  });

  function thumb(im) {
    const fig = document.createElement('figure');
    fig.className = 'thumb';
    fig.dataset.imageId = im.id;
    const before = document.createElement('img');
    if (originals.has(im.id)) before.src = originals.get(im.id);
    else before.hidden = true;
    const after = document.createElement('canvas');
    after.width = im.shape[1]; after.height = im.shape[0];
    after.className = 'pix';
    after.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(im.preview), im.shape[1], im.shape[0]), 0, 0);
    const cap = document.createElement('figcaption');
    cap.className = 'small resized';
    cap.dataset.shape = im.shape.join('x');
    cap.translate = false;
    cap.textContent = `${im.name}: ${im.width}×${im.height} → ${im.shape.join('×')}`;
    fig.append(before, after, cap);
    return fig;
  }

  function renderThumbs() {
    const ids = ctx.project.images.map((im) => im.id).join();
    if (ids === shownIds) return;
    shownIds = ids;
    for (const label of [0, 1]) $(`#thumbs-${label}`).replaceChildren(...ctx.project.images.filter((im) => im.label === label).map(thumb));
  }

  function renderStatus() {
    const el = $('#own-status');
    const parts = [message ? describe(message) : ''];
    if (skipped.length) parts.push(t('own.skipped', { list: skipped.map((s) => `${s.name} (${errorText(s.error)})`).join('; ') }));
    el.textContent = parts.filter(Boolean).join(' ');
    el.dataset.state = !message ? 'idle' : ['own.working', 'own.progress'].includes(message.key) ? 'working' : 'done';
    el.dataset.skipped = skipped.map((s) => s.name).join(',');
    el.dataset.skippedCodes = skipped.map((s) => s.error.code).join(',');
  }

  function render() {
    renderThumbs();
    document.querySelectorAll('.thumb img').forEach((img) => { img.alt = t('own.before'); });
    document.querySelectorAll('[data-class-name]').forEach((el) => { el.textContent = ctx.className(Number(el.dataset.className)); });
    const s = ctx.store.get();
    const line = $('#own-scenario');
    const ok = s.scenario === 'builtin' || usable(ctx.project.images);
    line.dataset.scenario = s.scenario;
    line.dataset.state = ok ? 'ok' : 'missing';
    line.classList.toggle('warn', !ok);
    if (s.scenario === 'builtin') line.textContent = t('own.onBuiltin', { train: ctx.available().builtin });
    else if (ok) { const { train, valid } = splitOwn(ctx.project.images); line.textContent = t('own.onOwn', { train: train.length, valid: valid.length }); }
    else line.textContent = errorText({ code: 'NO_OWN_IMAGES', params: {} });
    renderStatus();
  }

  return { render };
}
