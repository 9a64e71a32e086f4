// Wires the page: the State (state.js table, URL hash), the results with their
// provenance, the saved project, the worker, and the views. Every view renders from
// those (`render()`), so a language switch, a changed setting or a restored project
// is one re-render; this file only connects them.
import { parseHash, envFor, PROJECT_KEYS, SETTING } from './state.js';
import { createStore } from './store.js';
import { loadDictionaries, pickLanguage, setLanguage, apply, t, describe } from './i18n.js';
import { toErrorValue } from './errors.js';
import { createEngine } from './engine.js';
import { createResults } from './results.js';
import { openPersistence } from './persist.js';
import { adopt, restoreWorker, saveMeta } from './project.js';
import { ownDataId, splitOwn } from './own-data.js';
import { defaultClasses, namesFor, normalise } from './own/classes.js';
import { readapt } from './own/steps-view.js';
import { createFlow } from './flow.js';
import { kerasCode } from './keras-code.js';
import { mountSettings } from './settings-view.js';
import { mountSession } from './session-view.js';
import { mountBackend } from './backend.js';
import { mountStage1 } from './stages/1-load.js';
import { mountStage2 } from './stages/2-transfer.js';
import { mountStage3 } from './stages/3-freeze.js';
import { mountStage4 } from './stages/4-finetune.js';
import { mountCompare } from './stages/5-compare.js';
import { mountPredict } from './predict.js';
import { mountOwn } from './uploads.js';
import { mountDownloads } from './downloads.js';
import { mountTabs } from './embed-tabs.js';
import { mountFit } from './embed-fit.js';
import { mountEmbedBuilder } from './embed-builder.js';
import { mountUpstream } from './embed-upstream.js';
import { createNumbers } from './lesson/numbers.js';
import { mountVerdict } from './lesson/verdict.js';
import { mountErrors } from './lesson/errors.js';
import { mountFeatures } from './lesson/features.js';
import { mountMovement } from './lesson/movement.js';
import { mountSweep } from './lesson/sweep.js';

const $ = (s) => document.querySelector(s);

/** The shared context every view gets: state, results, project, engine, and helpers. */
function createContext(store, persist) {
  const views = [];
  let scheduled = false;
  let ownId = 'own:none';
  let ownCount = null; // training images in the learner's set (null: none)
  const ctx = {
    store, persist, results: createResults(), views,
    project: { aSource: 'builtin', aName: null, ownA: null, images: [], classes: defaultClasses(), invert: false, adapted: null },
    modelBytes: {}, have: {}, a: null, counts: null,
    invalid: new Map(), running: new Set(),
    status: { key: 'loading' }, restoredAt: null, storageError: null, engineEvent: null, linkErrors: [],
    available: () => ({ builtin: ctx.counts?.builtin?.train ?? SETTING.n.default, own: ownCount }),
    inputs: () => {
      const own = store.get().scenario === 'own';
      // `classes` describes the data (names and counts) for views and reasons; the id decides.
      const split = own ? splitOwn(ctx.project.images, ctx.project.classes.length).perClass : null;
      const classes = own ? namesFor(ctx, 'own').map((name, i) => ({ name, ...split[i] })) : null;
      const k = own ? ctx.project.classes.length : 2;
      return { aId: ctx.a?.fingerprint ?? null, dataId: own ? ownId : 'builtin', classes, head: k === 2 ? 1 : k };
    },
    now: () => ({ state: store.get(), inputs: ctx.inputs(), results: ctx.results }),
    /** The class names of a scenario ('builtin' | 'own'), in the learner's words. */
    classNames: (scenario = store.get().scenario) => namesFor(ctx, scenario),
    say(m) { ctx.status = m; ctx.statusSeq += 1; ctx.render(); },
    statusSeq: 0,
    guard: (f) => Promise.resolve().then(f).catch((err) => ctx.say(toErrorValue(err))),
    /** Re-renders every view once, after the current task's changes. */
    render() {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => { scheduled = false; renderAll(ctx); });
    },
    /** Switching data sets trains on all of the new set's images. */
    setScenario(scenario) { store.set({ scenario, n: ctx.available()[scenario] ?? store.get().n }); },
    /** The learner's images changed: a new data id, and `n` kept within what there is. */
    imagesChanged({ keepN = false } = {}) {
      const s = store.get();
      const wasAll = s.n === ctx.available().own; // available() still counts the old set here
      const k = ctx.project.classes.length;
      ownId = ownDataId(ctx.project.images, k);
      ownCount = splitOwn(ctx.project.images, k).train.length || null;
      // "All my images" stays all of them; a smaller choice stays, within the new count.
      if (!keepN && s.scenario === 'own' && ownCount && (wasAll || s.n > ownCount)) store.set({ n: ownCount });
      if (!keepN && s.scenario === 'own') readapt(ctx);
      ctx.render();
    },
  };
  return ctx;
}

function renderAll(ctx) {
  const s = ctx.store.get();
  const names = ctx.classNames(s.scenario);
  for (const k of [1, 2, 3, 4, 5]) $(`#code-${k}`).textContent = kerasCode(k, s, undefined, names);
  const st = $('#status');
  st.textContent = describe(ctx.status);
  st.dataset.key = ctx.status?.key ?? '';
  st.dataset.code = ctx.status?.code ?? '';
  st.dataset.seq = String(ctx.statusSeq); // tests wait for a new message by this count
  ctx.views.forEach((v) => v.render());
  ctx.fit?.check();
}

function applyLook(s) {
  const dark = s.theme ? s.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('#theme').setAttribute('aria-pressed', String(dark));
  document.body.classList.toggle('embed', s.embed);
  document.documentElement.toggleAttribute('data-embed', s.embed);
  // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
  document.documentElement.style.setProperty('--scale', String(s.scale));
  document.querySelectorAll('section.stage').forEach((sec) => { sec.hidden = s.embed && sec.dataset.view !== s.stage; });
  document.querySelectorAll('[data-hidden-by-state]').forEach((el) => { el.hidden = false; delete el.dataset.hiddenByState; });
  for (const id of s.hide) {
    document.querySelectorAll(`[data-control="${CSS.escape(id)}"]`).forEach((el) => { el.hidden = true; el.dataset.hiddenByState = ''; });
  }
}

/** The Web Lock held by the tab that saves the project. */
const PROJECT_LOCK = 'transfer-playground-project';

/**
 * One tab saves the project: the one holding the page's lock (Web Locks; held while the
 * tab lives). A tab opened while another holds it reads the saved project and works, but
 * saves nothing and says so: two tabs writing one project would mix their changes, the
 * last write of each part winning. It waits up to `wait` ms for the lock first (a tab
 * being reloaded releases its lock only as its old page goes). When the tab that saves
 * is closed, `onFree` runs (`watchSaver`; this one does not start saving: what it shows
 * may be older than what was saved). Resolves to whether this tab saves; without Web
 * Locks, it does.
 */
async function claimProject(onFree, wait = 2000) {
  if (!navigator.locks?.request) return true;
  const forever = () => new Promise(() => {});
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), wait);
  const got = await new Promise((resolve) => {
    navigator.locks.request(PROJECT_LOCK, { signal: abort.signal }, () => {
      clearTimeout(timer);
      resolve(true);
      return forever();
    }).catch((err) => resolve(err?.name !== 'AbortError')); // another failure: save, as without locks
  });
  if (!got) watchSaver(onFree);
  return got;
}

/**
 * Calls `onFree` once the tab holding the project's lock is gone: granted the lock, this
 * tab lets go of it at once (a tab being reloaded asks for it again) and looks again a
 * moment later; if nobody took it, the saving tab was closed.
 */
function watchSaver(onFree) {
  navigator.locks.request(PROJECT_LOCK, () => undefined)
    .then(() => new Promise((r) => setTimeout(r, 3000)))
    .then(() => navigator.locks.query())
    .then(({ held }) => (held.some((l) => l.name === PROJECT_LOCK) ? watchSaver(onFree) : onFree()))
    .catch(() => {});
}

async function main() {
  await loadDictionaries();
  const first = parseHash(location.hash).state;
  let storageError = null;
  let later = null; // the context, once it exists
  // Embeds keep nothing: several on one slide deck would overwrite each other's work.
  const tell = (e) => { storageError = e; if (later) { later.storageError = e; later.render(); } };
  const saves = first.embed || await claimProject(() => tell({ code: 'OTHER_TAB_CLOSED', params: {}, message: 'the tab that saved the project was closed' }));
  const persist = await openPersistence({ enabled: !first.embed, writable: saves, onError: tell });
  if (!saves) tell({ code: 'OPEN_ELSEWHERE', params: {}, message: 'the playground is open in another tab, which saves the project' });
  const saved = await persist.load();
  const ownCount = saved ? splitOwn(saved.images || [], normalise(saved.meta?.classes).length).train.length || null : null;
  const parsed = parseHash(location.hash, (st) => envFor(st.scenario, { builtin: SETTING.n.default, own: ownCount }));
  const store = createStore(parsed.state);
  const ctx = createContext(store, persist);
  later = ctx;
  ctx.storageError = storageError;
  ctx.linkErrors = parsed.errors;
  if (saved) {
    const linkSets = PROJECT_KEYS.some((k) => parsed.given.has(k));
    ctx.linkErrors.push(...adopt(ctx, saved, { keepSettings: linkSets }));
    const work = saved.results.length || saved.images.length || saved.models.a;
    if (work) ctx.restoredAt = saved.meta?.savedAt ?? new Date().toISOString();
  }
  ctx.imagesChanged({ keepN: true });
  setLanguage(pickLanguage(store.get().lang));
  apply();
  applyLook(store.get());

  const engine = createEngine(new URL('./worker.js', import.meta.url), {
    // On every worker this session starts: the engine, then the saved project.
    start: async (call) => {
      const r = await call('init', { base: new URL('./', import.meta.url).href, backend: store.get().be, workers: store.get().wk });
      ctx.counts = r.counts;
      ctx.a = r.a;
      ctx.have = {};
      backend.show(r.backend);
      $('#version').textContent = `v${r.version}`;
      const p = ctx.project;
      if (p.aSource === 'own' || p.images.length || Object.values(ctx.modelBytes).some(Boolean)) {
        // A saved project that cannot be put back (damaged bytes) must not stop the page:
        // say so and go on with the built-in model A and without the saved models.
        try {
          await restoreWorker(call, ctx);
        } catch (err) {
          if (err.fatal) throw err;
          ctx.say(toErrorValue(err));
          ctx.modelBytes = {};
          p.aSource = 'builtin';
          ctx.a = (await call('restore', { a: null, models: {} })).a;
          ctx.have = {};
        }
      }
      return r;
    },
  });
  ctx.engine = engine;
  engine.onEngine((ev) => { ctx.engineEvent = ev; ctx.render(); });
  const flow = createFlow(ctx);
  const backend = mountBackend(ctx);
  const settings = mountSettings(ctx);
  ctx.numbers = createNumbers(ctx);
  ctx.views.push(settings, mountSession(ctx), backend, mountStage1(ctx, flow), mountStage2(ctx, flow), mountStage3(ctx, flow),
    mountStage4(ctx, flow), mountCompare(ctx, flow), mountPredict(ctx, flow), mountOwn(ctx));
  // The lesson's views (issue 12).
  ctx.views.push(mountVerdict(ctx), mountErrors(ctx, flow), mountFeatures(ctx, flow), mountMovement(ctx, flow), mountSweep(ctx, flow));
  mountDownloads(ctx);
  ctx.fit = mountFit();
  ctx.refit = ctx.fit.refit;
  ctx.views.push(mountTabs(ctx), mountUpstream(ctx), mountEmbedBuilder(ctx));
  engine.onProgress(() => ctx.fit.check()); // a progress line may wrap
  applyLook(store.get()); // again: the views have added their parts (data-control) now
  // A link that names a section opens the full page there.
  if (!store.get().embed && parsed.given.has('stage')) document.querySelector(`section[data-view="${store.get().stage}"]`)?.scrollIntoView();
  ctx.results.subscribe(() => ctx.render());

  let saveTimer = null;
  store.subscribe((s, patch) => {
    if ('lang' in patch) { setLanguage(pickLanguage(s.lang)); apply(); }
    if (['theme', 'embed', 'stage', 'hide', 'scale'].some((k) => k in patch)) applyLook(s);
    if (['lang', 'embed', 'stage', 'hide', 'scale'].some((k) => k in patch)) ctx.refit();
    if (PROJECT_KEYS.some((k) => k in patch)) { clearTimeout(saveTimer); saveTimer = setTimeout(() => saveMeta(ctx), 300); }
    ctx.render();
  });
  window.addEventListener('hashchange', () => {
    const p = parseHash(location.hash, (st) => envFor(st.scenario, ctx.available()));
    ctx.linkErrors = p.errors;
    settings.revalidate();
    store.set(p.state);
    ctx.render();
  });
  $('#theme').addEventListener('click', () => store.set({ theme: document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark' }));
  // Test hooks (tests/e2e): lose the GPU device, or make the wasm instance trap.
  window.__playground = {
    simulateDeviceLoss: () => engine.call('simulateDeviceLoss'),
    simulateTrap: () => engine.call('simulateTrap').catch((e) => e.code),
    // The stored feature maps, to compare with the API's layerOutputs.
    features: () => ctx.results.get('features')?.value ?? null,
    // Data-parallel training (tests/e2e/parallel.test.mjs): any protocol request.
    call: (cmd, args) => engine.call(cmd, args),
    // The worker's progress events as they arrive ((job, event) => ...): returns a remover.
    onProgress: (f) => engine.onProgress(f),
  };
  ctx.render();

  try {
    const r = await engine.boot();
    document.body.dataset.ready = 'true';
    if (!ctx.status?.code) ctx.say({ key: 'ready', params: r.counts.builtin });
    if (store.get().embed && ['3', '4'].includes(store.get().stage)) ctx.guard(() => flow.ensure('stage2'));
  } catch (err) {
    ctx.say(toErrorValue(err));
  }
}

main();
