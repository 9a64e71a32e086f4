// Wires the page: State (URL hash) ⇄ controls, language, theme, embed mode, the
// worker, and the stage modules. Each stage lives in its own file; this file only
// connects them and keeps the "which stages are done" bookkeeping.
import { parseHash, createStore, toHash } from './state.js';
import { loadLanguage, pickLanguage, apply, t, errorText } from './i18n.js';
import { createEngine } from './engine.js';
import { kerasCode } from './keras-code.js';
import { mountStage1 } from './stages/1-load.js';
import { mountStage2 } from './stages/2-transfer.js';
import { mountStage3 } from './stages/3-freeze.js';
import { mountStage4 } from './stages/4-finetune.js';
import { mountCompare } from './compare.js';
import { mountPredict } from './predict.js';
import { mountUploads } from './uploads.js';
import { mountDownloads } from './downloads.js';
import { mountBackend } from './backend.js';

const $ = (s) => document.querySelector(s);
const store = createStore(parseHash(location.hash));
const NUMERIC = ['lr3', 'ep3', 'lr4', 'ep4', 'n', 'seed'];

const done = {};
const stages = {};
const ctx = {
  store,
  engine: createEngine(new URL('./worker.js', import.meta.url)),
  classNames: ['sandal', 'shirt'],
  say(msg) { $('#status').textContent = msg; },
  markDone(n) { done[n] = true; document.querySelector(`[data-stage="${n}"]`)?.setAttribute('data-done', 'true'); },
  resetFrom(n) { for (let k = n; k <= 4; k++) { done[k] = false; document.querySelector(`[data-stage="${k}"]`)?.removeAttribute('data-done'); } },
  /** Runs the stages before `n` that have not run yet (a click on stage 4 runs 1-3 first). */
  async ensure(n) {
    for (let k = 1; k <= n; k++) {
      if (done[k]) continue;
      const ok = await stages[k].run();
      if (ok === false) throw new Error('STOPPED');
    }
  },
  guard(f) { return Promise.resolve().then(f).catch((err) => ctx.say(errorText(err))); },
};

function applyTheme(s) {
  const dark = s.theme ? s.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('#theme').setAttribute('aria-pressed', String(dark));
}

function renderCode(s) {
  for (const k of [1, 2, 3, 4, 5]) $(`#code-${k}`).textContent = kerasCode(k, s);
}

function applyHidden(s) {
  document.querySelectorAll('[data-hidden-by-state]').forEach((el) => { el.hidden = false; el.removeAttribute('data-hidden-by-state'); });
  for (const id of s.hide) {
    const el = document.querySelector(`[data-control="${CSS.escape(id)}"]`) || document.getElementById(id);
    if (el) { el.hidden = true; el.dataset.hiddenByState = ''; }
  }
}

function applyEmbed(s) {
  document.body.classList.toggle('embed', s.embed);
  document.querySelectorAll('section.stage').forEach((sec) => {
    sec.hidden = s.embed && Number(sec.dataset.stage) !== s.stage;
  });
}

function syncControls(s) {
  for (const k of NUMERIC) if (document.activeElement !== $(`#${k}`)) $(`#${k}`).value = String(s[k]);
  $('#lang').value = document.documentElement.lang;
}

function embedSnippet() {
  const s = { ...store.get(), embed: true };
  const url = `${location.origin}${location.pathname}${toHash(s)}`;
  return `<iframe src="${url}" width="960" height="540" style="border:0" title="${t('title')}" loading="lazy"></iframe>`;
}

async function main() {
  const s0 = store.get();
  await loadLanguage(pickLanguage(s0.lang));
  apply();
  applyTheme(s0);
  applyEmbed(s0);
  applyHidden(s0);
  renderCode(s0);
  syncControls(s0);

  const s1 = mountStage1(ctx);
  stages[1] = s1;
  stages[2] = mountStage2(ctx);
  const v3 = mountStage3(ctx);
  stages[3] = v3;
  const v4 = mountStage4(ctx);
  stages[4] = v4;
  const cmp = mountCompare(ctx);
  mountDownloads(ctx);
  mountPredict(ctx);
  mountUploads(ctx);

  for (const k of NUMERIC) {
    $(`#${k}`).addEventListener('change', (e) => {
      const v = Number(e.target.value);
      if (!Number.isFinite(v) || v <= 0 && k !== 'seed') { e.target.setAttribute('aria-invalid', 'true'); ctx.say(t('err.badNumber', { name: k })); return; }
      e.target.removeAttribute('aria-invalid');
      store.set({ [k]: ['ep3', 'ep4', 'n', 'seed'].includes(k) ? Math.round(v) : v });
    });
  }
  $('#lang').addEventListener('change', async (e) => {
    store.set({ lang: e.target.value });
    await loadLanguage(e.target.value);
    apply();
    [v3.view, v4.view].forEach((v) => { v.labels(); v.draw(); });
    cmp.redraw();
  });
  $('#theme').addEventListener('click', () => {
    store.set({ theme: document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark' });
    [v3.view, v4.view].forEach((v) => v.draw());
    cmp.redraw();
  });
  $('#copy-embed').addEventListener('click', async () => {
    const code = embedSnippet();
    $('#embed-code').textContent = code;
    try { await navigator.clipboard.writeText(code); ctx.say(t('copied')); } catch { ctx.say(t('copyManually')); }
  });
  store.subscribe((s, patch) => {
    renderCode(s);
    syncControls(s);
    if ('theme' in patch) applyTheme(s);
    if ('embed' in patch || 'stage' in patch) applyEmbed(s);
    if ('hide' in patch) applyHidden(s);
  });
  window.addEventListener('hashchange', () => store.set(parseHash(location.hash)));

  try {
    const r = await ctx.engine.call('init', { base: new URL('./', import.meta.url).href, backend: s0.be });
    mountBackend(ctx, r.backend);
    // Test hook for tests/e2e/gpu.test.mjs: lose the GPU device in the worker.
    window.__playground = { simulateDeviceLoss: () => ctx.engine.call('simulateDeviceLoss') };
    $('#version').textContent = `v${r.version}`;
    s1.showA(r.a);
    document.body.dataset.ready = 'true';
    ctx.say(t('ready', r.counts));
    if (s0.embed && s0.stage > 1) ctx.guard(() => ctx.ensure(Math.min(s0.stage - 1, 2)));
  } catch (err) {
    ctx.say(errorText(err));
  }
}

main();
