// Editing the learner's set: remove one image, clear a class, add, remove and rename
// classes, and preprocessing (invert) for the whole set. Invert is redone from each
// image's kept source in the worker, so images added before the option changed get it
// too and the preview stays exactly what the model receives; an image saved by an
// earlier version (no source) is inverted in place (x -> 1 - x is its own inverse).
import { enqueue, commit } from './commit.js';
import { addClass, removeClass, renameClass } from './classes.js';
import { saveMeta } from '../project.js';

export function removeImage(ctx, id) {
  return enqueue(ctx, async () => {
    ctx.project.images = ctx.project.images.filter((im) => im.id !== id);
    await commit(ctx, { del: [id] });
  });
}

/** Removes every image of class `k`; resolves to how many. */
export function clearClass(ctx, k) {
  return enqueue(ctx, async () => {
    const del = ctx.project.images.filter((im) => im.label === k).map((im) => im.id);
    ctx.project.images = ctx.project.images.filter((im) => im.label !== k);
    await commit(ctx, { del });
    return del.length;
  });
}

export function newClass(ctx) {
  return enqueue(ctx, async () => {
    const k = addClass(ctx.project);
    await commit(ctx, { meta: true });
    return k;
  });
}

export function dropClass(ctx, k) {
  return enqueue(ctx, async () => {
    const { removed, moved } = removeClass(ctx.project, k);
    await commit(ctx, { del: removed, put: moved, meta: true });
    return removed.length;
  });
}

let saveTimer = null;

/** A new name shows at once everywhere; it is saved a moment after the typing stops. */
export function rename(ctx, k, name) {
  renameClass(ctx.project, k, name);
  ctx.render();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => saveMeta(ctx), 300);
}

function invertInPlace(im) {
  const data = Float32Array.from(im.data, (v) => 1 - v);
  const preview = new Uint8ClampedArray(im.preview);
  for (let i = 0; i < preview.length; i += 4) for (let c = 0; c < 3; c++) preview[i + c] = 255 - preview[i + c];
  return { ...im, data, preview, invert: !im.invert };
}

/** Sets "invert" for the whole set: every image made with the other setting is redone. */
export function setInvert(ctx, invert) {
  return enqueue(ctx, async () => {
    ctx.project.invert = invert;
    const todo = ctx.project.images.filter((im) => !!im.invert !== invert);
    const withSource = todo.filter((im) => im.source);
    const redone = new Map();
    // In chunks, so a big set does not make one huge message.
    for (let i = 0; i < withSource.length; i += 64) {
      const chunk = withSource.slice(i, i + 64);
      const r = await ctx.engine.call('reprocessImages', { images: chunk.map((im) => ({ id: im.id, source: im.source })), shape: chunk[0].shape, invert });
      for (const x of r.images) redone.set(x.id, x);
    }
    const changed = [];
    ctx.project.images = ctx.project.images.map((im) => {
      if (!!im.invert === invert) return im;
      const x = redone.get(im.id);
      const m = x ? { ...im, data: x.data, preview: x.preview, invert } : invertInPlace(im);
      changed.push(m);
      return m;
    });
    await commit(ctx, { put: changed, meta: true });
    return changed.length;
  });
}

/**
 * Model A's input changed (another A): the set is made again at its shape from the kept
 * sources, so the previews stay what the model receives. A set with an image saved by
 * an earlier version (no source) stays as it is; the worker resizes it to A's input.
 */
export function reshape(ctx, shape) {
  return enqueue(ctx, async () => {
    const images = ctx.project.images;
    const same = (s) => s.length === shape.length && s.every((v, i) => v === shape[i]);
    if (!images.length || same(images[0].shape) || !images.every((im) => im.source)) return 0;
    const redone = new Map();
    for (const invert of [false, true]) {
      const list = images.filter((im) => !!im.invert === invert);
      for (let i = 0; i < list.length; i += 64) {
        const chunk = list.slice(i, i + 64);
        const r = await ctx.engine.call('reprocessImages', { images: chunk.map((im) => ({ id: im.id, source: im.source })), shape, invert });
        for (const x of r.images) redone.set(x.id, x);
      }
    }
    ctx.project.images = images.map((im) => ({ ...im, shape: [...shape], data: redone.get(im.id).data, preview: redone.get(im.id).preview }));
    await commit(ctx, { put: ctx.project.images });
    return images.length;
  });
}
