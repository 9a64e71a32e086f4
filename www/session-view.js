// The session bar: "restored from your last visit", start over, export and import of
// the whole project, and the notes about storage, a replaced engine and parts of a
// link that could not be used. Everything is kept as values and worded at render.
import { t, lang, errorText, showError } from './i18n.js';
import { SETTING } from './state.js';
import { invalidText } from './settings-view.js';
import { writeProject, readProject } from './project-file.js';
import { current, adopt, restoreWorker, saveAll } from './project.js';
import { saveFile } from './downloads.js';

const ARM_MS = 6000; // "start over" asks for a second click within this time

export function mountSession(ctx) {
  const $ = (s) => document.querySelector(s);
  const startOver = $('#start-over');
  let armed = null;

  startOver.addEventListener('click', () => ctx.guard(async () => {
    if (!armed) {
      armed = setTimeout(() => { armed = null; render(); }, ARM_MS);
      render();
      return;
    }
    clearTimeout(armed);
    armed = null;
    await ctx.persist.clear();
    // A clean page: only the learner's language and theme stay.
    const s = ctx.store.get();
    const keep = new URLSearchParams();
    if (s.lang) keep.set('lang', s.lang);
    if (s.theme) keep.set('theme', s.theme);
    history.replaceState(null, '', location.pathname + location.search + (keep.size ? `#${keep}` : ''));
    location.reload();
  }));

  $('#export').addEventListener('click', () => ctx.guard(async () => {
    const bytes = await writeProject(current(ctx));
    saveFile('transfer-playground-project.zip', new Blob([bytes], { type: 'application/zip' }));
    ctx.say({ key: 'session.exported', params: { size: (bytes.length / 1e6).toFixed(1) } });
  }));

  $('#import').addEventListener('change', (e) => ctx.guard(async () => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    const saved = await readProject(new Uint8Array(await file.arrayBuffer()));
    const rejected = adopt(ctx, saved, { keepSettings: false });
    await restoreWorker(ctx.engine.call, ctx);
    ctx.linkErrors = rejected;
    await saveAll(ctx);
    ctx.restoredAt = null;
    ctx.imagesChanged({ keepN: true }); // the project's own count stays
    ctx.say({ key: 'session.imported', params: { images: saved.images.length, results: saved.results.length } });
  }));

  function render() {
    const restored = $('#restored');
    restored.hidden = !ctx.restoredAt;
    restored.textContent = ctx.restoredAt ? t('session.restored', { when: new Date(ctx.restoredAt).toLocaleString(lang()) }) : '';
    startOver.textContent = t(armed ? 'session.confirm' : 'session.startOver');
    startOver.dataset.armed = String(!!armed);
    showError($('#storage-note'), ctx.storageError);
    const engine = $('#engine-note');
    const ev = ctx.engineEvent;
    engine.hidden = !ev;
    engine.dataset.event = ev?.event ?? '';
    engine.dataset.code = ev?.reason?.code ?? '';
    engine.textContent = ev ? t(`engine.${ev.event}`, { reason: errorText(ev.reason) }) : '';
    const link = $('#link-msg');
    const errs = ctx.linkErrors || [];
    link.hidden = !errs.length;
    link.dataset.keys = errs.map((x) => x.key).join(',');
    link.textContent = errs.length ? t('link.bad', {
      list: errs.map((x) => (SETTING[x.key] ? `${invalidText(x.key, x)} (“${x.raw}”)` : t('valid.UNKNOWN_SETTING', { key: x.key }))).join(' '),
    }) : '';
  }
  return { render };
}
