// Adding images to a class: picked, dropped or pasted files and webcam frames all take
// this one path — prepared in the worker (decoded, checked against the limits, kept as
// a bounded source, resized by the engine's policy with the set's preprocessing), then
// added to the project, saved, and sent to the worker as the new split.
import { enqueue, commit } from './commit.js';
import { pageError, toErrorValue } from '../errors.js';
import { MAX_IMAGES } from './classes.js';

let counter = 0;

/**
 * Adds `items` (`{name, blob}` files or `{name, bitmap}` frames) to class `label`.
 * Resolves to `{added, skipped: [{name, error}], shape}`.
 */
export function addImages(ctx, label, items) {
  return enqueue(ctx, async () => {
    // The set's limit, counted when this change's turn comes (earlier ones have landed).
    const room = Math.max(0, MAX_IMAGES - ctx.project.images.length);
    const over = items.slice(room);
    items = items.slice(0, room);
    for (const it of over) it.bitmap?.close?.();
    const limited = over.length ? [{ name: '', error: toErrorValue(pageError('TOO_MANY_IMAGES', { n: over.length, max: MAX_IMAGES })) }] : [];
    if (!items.length) return { added: [], skipped: limited, shape: null };
    const bitmaps = items.map((it) => it.bitmap).filter(Boolean);
    const r = await ctx.engine.call('prepareImages', {
      files: items.map((it) => ({ name: it.name, label, ...(it.bitmap ? { bitmap: it.bitmap } : { blob: it.blob }) })),
      invert: !!ctx.project.invert,
      // One set, one shape: the learner's earlier images' (the set follows A as a whole).
      shape: ctx.project.images[0]?.shape,
    }, bitmaps);
    // A class removed meanwhile (queued before this add) leaves nothing to add to.
    if (label >= ctx.project.classes.length) return { added: [], skipped: [...limited, ...r.skipped], shape: r.shape };
    const stamp = Date.now().toString(36);
    const added = r.images.map((im) => ({ id: `${stamp}-${label}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`, ...im }));
    ctx.project.images = [...ctx.project.images, ...added];
    await commit(ctx, { put: added });
    return { added, skipped: [...limited, ...r.skipped], shape: r.shape };
  });
}

/** Files from a picker, a drop or a paste, as items (pasted screenshots get a name). */
export function fileItems(files) {
  return [...files].map((f, i) => ({ name: f.name || `pasted-${i + 1}.png`, blob: f }));
}
