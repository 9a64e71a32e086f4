// "Your own images": the learner's named classes (www/own/), filled from the file
// picker, drops anywhere on the page, pastes and the webcam; edited image by image or
// class by class; preprocessed as one set. This file wires those parts to the page and
// words what happened (files skipped, each with its reason) and which data the stages
// train on. "Train on my images" switches the data set, adapts the settings to its size
// and moves the learner on: stage 3 is scrolled to and its button focused (training
// starts when they press it, after a look at the adapted settings).
import { t, describe, errorText } from './i18n.js';
import { splitOwn, usable, shortClasses } from './own-data.js';
import { classNames, MAX_CLASSES } from './own/classes.js';
import { mountCards } from './own/cards.js';
import { mountDrop } from './own/drop.js';
import { mountWebcam } from './own/webcam.js';
import { mountSteps, readapt, unadapt } from './own/steps-view.js';
import { mountTrainedOn } from './own/trained-on.js';
import { addImages, fileItems } from './own/add.js';
import { removeImage, clearClass, newClass, dropClass, rename, setInvert, reshape } from './own/editor.js';

export function mountOwn(ctx) {
  const $ = (s) => document.querySelector(s);
  let selected = 0;            // the class drops outside a card and pastes go to
  let message = null;          // the last message, as a value (re-worded on render)
  let skipped = [];            // [{name, error}] of the last batch
  const names = () => classNames(ctx.project.classes);
  const say = (m, list = []) => { message = m; skipped = list; render(); };

  async function add(k, files, how = 'pick') {
    const items = fileItems(files);
    if (!items.length) return;
    say({ key: 'own.working', params: { n: items.length } });
    const off = ctx.engine.onProgress((job, ev) => {
      if (job === 'images') { message = { key: 'own.progress', params: { done: ev.done, total: ev.total } }; renderStatus(); }
    });
    try {
      const r = await addImages(ctx, k, items);
      const key = how === 'dropSelected' ? 'own.doneSelected' : 'own.done';
      say({ key, params: { n: r.added.length, shape: (r.shape || []).join('×') }, k }, r.skipped);
    } finally {
      off();
    }
  }

  const guard = (f) => ctx.guard(async () => {
    try { await f(); } catch (err) { say(err); }
  });

  const cards = mountCards(ctx, $('#classes'), {
    selected: () => selected,
    select: (k) => { selected = k; render(); },
    files: (k, files) => guard(() => add(k, files)),
    rename: (k, name) => rename(ctx, k, name),
    webcam: (k) => { selected = k; webcam.open(k); render(); },
    clear: (k) => guard(async () => say({ key: 'own.cleared', params: { n: await clearClass(ctx, k) }, k })),
    removeClass: (k) => guard(async () => {
      const removed = { k, name: ctx.project.classes[k].name.trim() };
      webcam.classRemoved(k);
      const n = await dropClass(ctx, k);
      if (selected >= ctx.project.classes.length || selected > k) selected = Math.max(0, selected - 1);
      say({ key: 'own.classRemoved', params: { n }, removed });
    }),
    removeImage: (id) => guard(() => removeImage(ctx, id)),
  });

  const webcam = mountWebcam(ctx, $('#cam-panel'), { names, record: (k, frames) => addImages(ctx, k, frames).then((r) => { if (r.skipped.length) say(null, r.skipped); }) });
  mountDrop({ overlay: $('#drop-overlay'), target: () => selected, name: (k) => names()[k] ?? '', add: (k, files, how) => guard(() => add(k, files, how)) });
  const stepsView = mountSteps(ctx);
  const trainedOn = mountTrainedOn(ctx);

  $('#class-add').addEventListener('click', () => guard(async () => {
    const focus = document.activeElement;
    selected = await newClass(ctx);
    render();
    // The new card's name gets the focus, unless the learner has moved it meanwhile
    // (typing into another name while the class was being saved must stay there).
    if (document.activeElement === focus) $(`#class-name-${selected}`)?.focus();
  }));
  $('#invert').addEventListener('change', (e) => guard(async () => {
    // The set's setting at once (images added from now on use it); the redo follows.
    ctx.project.invert = e.target.checked;
    say({ key: 'own.reprocessing', params: { n: ctx.project.images.length } });
    const n = await setInvert(ctx, e.target.checked);
    say({ key: e.target.checked ? 'own.invertedAll' : 'own.uninvertedAll', params: { n } });
  }));

  $('#own-use').addEventListener('click', () => {
    const k = ctx.project.classes.length;
    if (!usable(ctx.project.images, k)) {
      say({ code: 'CLASSES_NEED_IMAGES', params: { names: shortClasses(ctx.project.images, k).map((i) => `“${names()[i]}”`).join(', ') } });
      return;
    }
    ctx.setScenario('own');
    readapt(ctx);
    const { train, valid, perClass } = splitOwn(ctx.project.images, k);
    say({ key: 'own.using', params: { train: train.length, valid: valid.length, per: perClass.map((c, i) => `${names()[i]} (${c.valid})`).join(', ') }, texts: { run: 's3.run' } });
    // Move on: stage 3 comes next; the learner starts it (the adapted settings are beside it).
    $('#stage-3').scrollIntoView({ behavior: 'smooth', block: 'start' });
    $('#run-3').focus({ preventScroll: true });
  });
  $('#own-builtin').addEventListener('click', () => {
    ctx.setScenario('builtin');
    unadapt(ctx);
    say({ key: 'own.usingBuiltin', params: { train: ctx.available().builtin } });
  });

  function renderStatus() {
    const el = $('#own-status');
    // A message about class k names it as it is called now (a language switch, a rename).
    let m = message;
    if (message?.k !== undefined) m = { ...message, params: { ...message.params, name: names()[message.k] ?? '' } };
    if (message?.removed) m = { ...message, params: { ...message.params, name: message.removed.name || t('own.defaultName', { n: message.removed.k + 1 }) } };
    // Texts the message quotes (a button's label) in the language of now.
    if (message?.texts) m = { ...m, params: { ...m.params, ...Object.fromEntries(Object.entries(message.texts).map(([p, key]) => [p, t(key)])) } };
    const parts = [m ? describe(m) : ''];
    // Reasons that name their file stand alone; others get the file's name first.
    const reason = (s) => (s.error.params?.name || !s.name ? errorText(s.error) : `${s.name} (${errorText(s.error)})`);
    if (skipped.length) parts.push(t('own.skipped', { list: skipped.map(reason).join('; ') }));
    el.textContent = parts.filter(Boolean).join(' ');
    el.dataset.state = !message && !skipped.length ? 'idle' : ['own.working', 'own.progress', 'own.reprocessing'].includes(message?.key) ? 'working' : 'done';
    el.dataset.key = message?.key ?? message?.code ?? '';
    el.dataset.skipped = skipped.map((s) => s.name).join(',');
    el.dataset.skippedCodes = skipped.map((s) => s.error.code).join(',');
  }

  function renderSplit() {
    const k = ctx.project.classes.length;
    const el = $('#own-split');
    if (!ctx.project.images.length) { el.textContent = ''; el.dataset.valid = ''; return; }
    const { train, valid, perClass } = splitOwn(ctx.project.images, k);
    el.dataset.train = String(train.length);
    el.dataset.valid = String(valid.length);
    el.dataset.perClass = perClass.map((c) => c.valid).join(',');
    el.textContent = t('own.split', { train: train.length, valid: valid.length, per: perClass.map((c, i) => `${names()[i]} ${c.train} + ${c.valid}`).join(', ') });
  }

  let reshaping = null; // the input shape the set is being made again at
  /** Another model A (loaded, switched, restored): the set follows its input shape. */
  function follow() {
    const shape = ctx.a?.inputShape;
    const now = ctx.project.images[0]?.shape;
    if (!shape || !now || now.join() === shape.join() || reshaping === shape.join()) return;
    reshaping = shape.join();
    guard(async () => {
      const n = await reshape(ctx, shape);
      if (n) say({ key: 'own.reshaped', params: { n, shape: shape.join('×') } });
    }).finally(() => { reshaping = null; });
  }

  function render() {
    follow();
    const full = cards.render().full;
    webcam.render();
    stepsView.render();
    trainedOn.render();
    const add = $('#class-add');
    add.disabled = full;
    add.title = full ? t('own.classLimit', { max: MAX_CLASSES }) : '';
    $('#invert').checked = !!ctx.project.invert;
    $('#invert-note').textContent = t('own.invertNote');
    const s = ctx.store.get();
    const k = ctx.project.classes.length;
    const line = $('#own-scenario');
    const ok = s.scenario === 'builtin' || usable(ctx.project.images, k);
    line.dataset.scenario = s.scenario;
    line.dataset.state = ok ? 'ok' : 'missing';
    line.classList.toggle('warn', !ok);
    if (s.scenario === 'builtin') line.textContent = t('own.onBuiltin', { train: ctx.available().builtin });
    else if (ok) {
      const { train, valid } = splitOwn(ctx.project.images, k);
      line.textContent = t('own.onOwn', { train: train.length, valid: valid.length, names: names().join(', '), head: k === 2 ? 'Dense(1, sigmoid)' : `Dense(${k}, softmax)` });
    } else line.textContent = errorText({ code: 'NO_OWN_IMAGES', params: {} });
    renderSplit();
    renderStatus();
  }

  return { render };
}
