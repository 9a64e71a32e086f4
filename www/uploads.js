// The learner's own images: two labelled classes, each with a file picker and a drop
// zone. Files go to the worker one batch at a time (decode + crop + resize there), and
// come back as before/after previews; undecodable files are named and skipped.
import { t } from './i18n.js';

const MAX_PREVIEW = 200 * 1024 * 1024; // above this a file is not shown as "before" (memory)

export function mountUploads(ctx) {
  const $ = (s) => document.querySelector(s);
  const images = { 0: [], 1: [] };

  async function add(label, fileList) {
    const files = [...fileList];
    if (!files.length) return;
    const status = $('#own-status');
    status.textContent = t('own.working', { n: files.length });
    const off = ctx.engine.onProgress((job, ev) => { if (job === 'images') status.textContent = t('own.progress', { done: ev.done, total: ev.total }); });
    try {
      const r = await ctx.engine.call('prepareImages', { files: files.map((f) => ({ name: f.name, blob: f, label })), invert: $('#invert').checked });
      const thumbs = $(`#thumbs-${label}`);
      for (const im of r.images) {
        images[label].push(im);
        const fig = document.createElement('figure');
        fig.className = 'thumb';
        const before = document.createElement('img');
        before.alt = t('own.before');
        const file = files.find((f) => f.name === im.name);
        if (file && file.size < MAX_PREVIEW) before.src = URL.createObjectURL(file);
        const after = document.createElement('canvas');
        after.width = im.shape[1]; after.height = im.shape[0];
        after.className = 'pix';
        after.getContext('2d').putImageData(new ImageData(im.preview, im.shape[1], im.shape[0]), 0, 0);
        const cap = document.createElement('figcaption');
        cap.className = 'small resized';
        cap.dataset.shape = im.shape.join('x');
        cap.textContent = `${im.name}: ${im.width}×${im.height} → ${im.shape.join('×')}`;
        fig.append(before, after, cap);
        thumbs.append(fig);
      }
      const msg = [t('own.done', { n: r.images.length, shape: r.shape.join('×') })];
      if (r.skipped.length) msg.push(t('own.skipped', { names: r.skipped.join(', ') }));
      status.textContent = msg.join(' ');
      const sk = $('#own-status');
      sk.dataset.skipped = r.skipped.join(',');
    } finally {
      off();
    }
  }

  for (const label of [0, 1]) {
    $(`#files-${label}`).addEventListener('change', (e) => add(label, e.target.files).then(() => { e.target.value = ''; }));
    const zone = $(`#drop-${label}`);
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); add(label, e.dataTransfer.files); });
  }

  $('#own-use').addEventListener('click', () => ctx.guard(async () => {
    if (!images[0].length || !images[1].length) { $('#own-status').textContent = t('own.needBoth'); return; }
    const all = [];
    // Interleave the classes so the every-5th validation split takes from both.
    for (let i = 0; i < Math.max(images[0].length, images[1].length); i++) {
      if (images[0][i]) all.push(images[0][i]);
      if (images[1][i]) all.push(images[1][i]);
    }
    const c = await ctx.engine.call('useOwn', { images: all.map((im) => ({ data: im.data, label: im.label })) });
    ctx.store.set({ scenario: 'own', n: c.train });
    ctx.resetFrom(2);
    $('#own-status').textContent = t('own.using', c);
  }));
  $('#own-builtin').addEventListener('click', () => ctx.guard(async () => {
    const c = await ctx.engine.call('useOwn', { images: null });
    ctx.store.set({ scenario: 'builtin', n: Math.min(ctx.store.get().n, c.train) });
    ctx.resetFrom(2);
    $('#own-status').textContent = t('own.usingBuiltin', c);
  }));
}
