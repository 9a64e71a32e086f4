// One path for every change to the learner's set (files, drops, pastes, webcam frames,
// removals, a cleared or removed class, redone preprocessing): changes run one at a
// time in order (a webcam recording and a drop never interleave), then the set is
// saved, the worker gets the new split, and the page re-renders with a new data id.
import { saveMeta, sendData } from '../project.js';

/** Runs `task()` after every change queued before it; resolves to its value. */
export function enqueue(ctx, task) {
  const run = (ctx.ownQueue || Promise.resolve()).then(task);
  ctx.ownQueue = run.catch(() => {});
  return run;
}

/**
 * The project's images (and perhaps classes) have changed: `put` lists images to save
 * (new or changed), `del` the ids to delete from storage.
 */
export async function commit(ctx, { put = [], del = [], meta = false } = {}) {
  for (const id of del) await ctx.persist.deleteImage(id);
  if (put.length) await ctx.persist.putImages(put);
  if (meta) await saveMeta(ctx);
  await sendData(ctx.engine.call, ctx);
  ctx.imagesChanged();
}
