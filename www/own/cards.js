// The class cards of "Your own images": per class its name (editable), its image count,
// the target radio (drops and pastes outside any card go to the selected class), a file
// picker, the webcam, "clear" and "remove class", and its images — each shown as its
// kept source and as exactly what the model receives, with a button to remove it.
// Drawn from ctx.project; every action goes to the handlers given (uploads.js).
import { t } from '../i18n.js';
import { classNames, MAX_NAME, MIN_CLASSES, MAX_CLASSES } from './classes.js';

const ARM_MS = 5000; // a destructive button asks for a second click within this time

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e && k !== 'list') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function drawRGBA(canvas, data, w, h) {
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(data), w, h), 0, 0);
}

export function mountCards(ctx, root, on) {
  const figures = new Map(); // image id -> {im, fig}
  const armed = new Map();   // 'clear-k' | 'remove-k' -> timer
  let cards = [];

  function arm(key, action) {
    if (armed.has(key)) { clearTimeout(armed.get(key)); armed.delete(key); action(); render(); return; }
    armed.set(key, setTimeout(() => { armed.delete(key); render(); }, ARM_MS));
    render();
  }

  function card(k) {
    const name = el('input', { type: 'text', className: 'class-name', id: `class-name-${k}`, maxLength: MAX_NAME, autocomplete: 'off', spellcheck: false });
    name.addEventListener('input', () => on.rename(k, name.value));
    const pick = el('input', { type: 'radio', name: 'own-target', id: `class-pick-${k}`, value: String(k) });
    pick.addEventListener('change', () => on.select(k));
    const files = el('input', { type: 'file', id: `files-${k}`, multiple: true, accept: 'image/*' });
    files.addEventListener('change', () => { const list = [...files.files]; files.value = ''; on.files(k, list); });
    const pickText = el('span');
    const webcam = el('button', { type: 'button', id: `cam-open-${k}`, dataset: { act: 'webcam' } });
    webcam.addEventListener('click', () => on.webcam(k));
    const clear = el('button', { type: 'button', id: `class-clear-${k}`, dataset: { act: 'clear' } });
    clear.addEventListener('click', () => arm(`clear-${k}`, () => on.clear(k)));
    const remove = el('button', { type: 'button', id: `class-remove-${k}`, dataset: { act: 'remove-class' } });
    remove.addEventListener('click', () => {
      if (ctx.project.images.some((im) => im.label === k)) arm(`remove-${k}`, () => on.removeClass(k));
      else on.removeClass(k);
    });
    const count = el('span', { className: 'count small', id: `class-count-${k}` });
    const thumbs = el('div', { className: 'thumbs', id: `thumbs-${k}` });
    const pickText2 = el('span');
    const pickLabel = el('label', { className: 'pick small' }, pick, pickText2);
    const root = el('div', { className: 'drop class-card', id: `drop-${k}`, dataset: { class: String(k) } },
      el('div', { className: 'card-head' }, name, count, remove),
      el('div', { className: 'card-tools' }, el('label', { className: 'file-button' }, pickText, files), webcam, clear, pickLabel),
      thumbs);
    return { k, root, name, pick, pickLabel: pickText2, pickText, webcam, clear, remove, count, thumbs };
  }

  function thumb(im) {
    const before = el('canvas', { className: 'src', role: 'img' });
    if (im.source) drawRGBA(before, im.source.data, im.source.width, im.source.height);
    else before.hidden = true; // saved by an earlier version: no source kept
    const after = el('canvas', { className: 'pix', role: 'img' });
    drawRGBA(after, im.preview, im.shape[1], im.shape[0]);
    const cap = el('figcaption', { className: 'small resized', translate: false, dataset: { shape: im.shape.join('x') } }, `${im.name}: ${im.width}×${im.height} → ${im.shape.join('×')}`);
    const del = el('button', { type: 'button', className: 'remove-image', dataset: { act: 'remove-image' } }, '×');
    del.addEventListener('click', () => on.removeImage(im.id));
    return el('figure', { className: 'thumb', dataset: { imageId: im.id } }, before, after, del, cap);
  }

  function renderThumbs() {
    const seen = new Set();
    const lists = cards.map(() => []);
    for (const im of ctx.project.images) {
      seen.add(im.id);
      let f = figures.get(im.id);
      // A changed image (preprocessing redone) is a new object: draw it again.
      if (!f || f.im !== im) { f = { im, fig: thumb(im) }; figures.set(im.id, f); }
      lists[im.label]?.push(f.fig);
    }
    for (const id of [...figures.keys()]) if (!seen.has(id)) figures.delete(id);
    cards.forEach((c, k) => {
      const now = [...c.thumbs.children];
      if (now.length !== lists[k].length || now.some((x, i) => x !== lists[k][i])) c.thumbs.replaceChildren(...lists[k]);
    });
  }

  function render() {
    const n = ctx.project.classes.length;
    // Cards are kept by index: an added class appends one, a removed class drops the
    // last (card k always shows class k), so a name being typed is never replaced.
    while (cards.length < n) { const c = card(cards.length); cards.push(c); root.append(c.root); }
    while (cards.length > n) cards.pop().root.remove();
    const names = classNames(ctx.project.classes);
    const counts = names.map((_, k) => ctx.project.images.filter((im) => im.label === k).length);
    cards.forEach((c, k) => {
      const raw = ctx.project.classes[k].name;
      if (document.activeElement !== c.name && c.name.value !== raw) c.name.value = raw;
      c.name.placeholder = t('own.defaultName', { n: k + 1 });
      c.name.setAttribute('aria-label', t('own.nameAria', { n: k + 1 }));
      c.root.dataset.count = String(counts[k]);
      c.root.dataset.name = names[k];
      c.root.dataset.selected = String(on.selected() === k);
      c.pick.checked = on.selected() === k;
      c.pickLabel.textContent = t('own.target');
      c.count.textContent = counts[k] === 1 ? t('own.countOne') : t('own.count', { n: counts[k] });
      c.pickText.textContent = t('own.pick');
      c.webcam.textContent = t('cam.open');
      const clearArmed = armed.has(`clear-${k}`);
      c.clear.textContent = clearArmed ? t('own.clearConfirm', { n: counts[k] }) : t('own.clear');
      c.clear.dataset.armed = String(clearArmed);
      c.clear.disabled = !counts[k];
      const removeArmed = armed.has(`remove-${k}`);
      c.remove.textContent = removeArmed ? t('own.removeConfirm', { n: counts[k] }) : t('own.removeClass');
      c.remove.dataset.armed = String(removeArmed);
      c.remove.disabled = n <= MIN_CLASSES;
      c.remove.setAttribute('aria-label', removeArmed ? c.remove.textContent : t('own.removeClassAria', { name: names[k] }));
    });
    renderThumbs();
    root.querySelectorAll('.thumb').forEach((fig) => {
      const im = figures.get(fig.dataset.imageId)?.im;
      fig.querySelector('canvas.src').setAttribute('aria-label', t('own.before'));
      fig.querySelector('canvas.pix').setAttribute('aria-label', t('own.after'));
      fig.querySelector('.remove-image').setAttribute('aria-label', t('own.removeImage', { name: im?.name ?? '' }));
      fig.querySelector('.remove-image').title = t('own.removeImage', { name: im?.name ?? '' });
    });
    return { full: n >= MAX_CLASSES };
  }

  return { render };
}
