// The learner's project in the page: what is saved (persist.js), exported and imported
// (project-file.js), and how a saved project is put back — into the page (settings,
// images, results) and into a worker (model A, the trained models, the data). One
// path serves a reload, an import and a replaced engine.
import { PROJECT_KEYS, validate, envFor } from './state.js';
import { splitOwn } from './own-data.js';
import { normalise, modelClassNames } from './own/classes.js';

/** The project as persist.js stores it: `{meta, results, images, models}`. */
export function current(ctx) {
  const s = ctx.store.get();
  const p = ctx.project;
  const models = { ...ctx.modelBytes };
  if (p.ownA) models.a = { bytes: p.ownA };
  return {
    meta: {
      format: 'transfer-playground-project', version: 1, savedAt: new Date().toISOString(),
      settings: Object.fromEntries(PROJECT_KEYS.map((k) => [k, s[k]])),
      aSource: p.aSource, aName: p.aName, classes: p.classes,
      // Preprocessing of the learner's images, and the settings the small-set rule set.
      invert: !!p.invert, adapted: p.adapted ?? null,
    },
    results: ctx.results.all(),
    images: p.images,
    models: Object.fromEntries(Object.entries(models).filter(([, v]) => v?.bytes)),
  };
}

/** Writes the whole project (after an import or a restore). */
export async function saveAll(ctx) {
  const c = current(ctx);
  await ctx.persist.clear();
  await ctx.persist.putImages(c.images);
  for (const [k, v] of Object.entries(c.models)) await ctx.persist.putModel(k, v);
  await ctx.persist.saveResults(c.results);
  await ctx.persist.saveMeta(c.meta);
}

export const saveMeta = (ctx) => ctx.persist.saveMeta(current(ctx).meta);
export const saveResults = (ctx) => ctx.persist.saveResults(ctx.results.all());

/** Fetches models from the worker as `.keras` bytes (with their class names), keeps them and saves them. */
export async function saveModels(ctx, names, classNames = undefined) {
  for (const which of names) {
    const r = await ctx.engine.call('modelBytes', { which, classNames: classNames ?? modelClassNames(ctx, which === 'snap3' ? 'b' : which) ?? undefined });
    ctx.modelBytes[which] = r.id ? { bytes: r.bytes, id: r.id } : { bytes: r.bytes };
    await ctx.persist.putModel(which, ctx.modelBytes[which]);
  }
}

/**
 * Takes a saved project into the page. Its settings are used unless the page was
 * opened with a link (`keepSettings`): a link's settings win, and results computed
 * with others are then shown as out of date. Returns the settings it could not use.
 */
export function adopt(ctx, saved, { keepSettings }) {
  const m = saved.meta || {};
  ctx.project = {
    aSource: m.aSource === 'own' && saved.models.a ? 'own' : 'builtin',
    aName: m.aName ?? null,
    ownA: saved.models.a?.bytes ?? null,
    images: saved.images || [],
    classes: normalise(m.classes),
    invert: !!m.invert,
    adapted: m.adapted ?? null,
  };
  // Images whose class is not in the list (a damaged save) get a class of their own.
  const top = Math.max(-1, ...ctx.project.images.map((im) => im.label));
  while (ctx.project.classes.length <= top) ctx.project.classes.push({ name: '' });
  ctx.modelBytes = { b: saved.models.b ?? null, snap3: saved.models.snap3 ?? null, scratch: saved.models.scratch ?? null };
  ctx.results.load(saved.results);
  const rejected = [];
  if (!keepSettings && m.settings) {
    const patch = {};
    // The count of the project's own images, not of the set it replaces.
    const available = { ...ctx.available(), own: splitOwn(ctx.project.images, ctx.project.classes.length).train.length || null };
    const scenario = validate('scenario', m.settings.scenario ?? 'builtin');
    for (const k of PROJECT_KEYS) {
      if (!(k in m.settings)) continue;
      const r = validate(k, m.settings[k], envFor(scenario.ok ? scenario.value : 'builtin', available));
      if (r.ok) patch[k] = r.value; else rejected.push({ key: k, raw: String(m.settings[k]), code: r.code, params: r.params });
    }
    ctx.store.set(patch);
  }
  return rejected;
}

/** Puts the project's models and data into a worker (`call` = its request function). */
export async function restoreWorker(call, ctx) {
  const p = ctx.project;
  const r = await call('restore', { a: p.aSource === 'own' ? p.ownA : null, models: ctx.modelBytes });
  await sendData(call, ctx);
  ctx.a = r.a;
  ctx.have = r.have;
  return r;
}

/** The learner's images, split, to the worker (or none), with the number of classes. */
export async function sendData(call, ctx) {
  const images = ctx.project.images;
  if (!images.length) return call('useData', { own: null });
  const classes = ctx.project.classes.length;
  const { train, valid } = splitOwn(images, classes);
  const strip = (im) => ({ data: im.data, label: im.label });
  return call('useData', { own: { train: train.map(strip), valid: valid.map(strip), shape: images[0].shape, classes } });
}
