// Data sets in the worker: the built-in task B and the learner's images, both resized
// to model A's input (the lecture's preprocessing rule), and the learner's files turned
// into model inputs one at a time.
import { S, post, setsFor } from './worker-session.js';
import { pageError, toErrorValue } from './errors.js';
import { toModelInput } from './image.js';

// Uploads above these sizes are skipped (named) instead of risking the tab's memory.
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_PIXELS = 120e6;

/** A set `{count, x, y}` at A's input shape (e.g. 28x28x1 -> 64x64x3). */
function fit(set) {
  const [h, w, c] = S.a.inputShape;
  const [, sh, sw, sc] = set.x.shape;
  if (sh === h && sw === w && sc === c) return set;
  return { ...set, height: h, width: w, channels: c, x: S.tp.resizeImages(set.x, h, w, c) };
}

/** Recomputes both scenarios' sets for the current A. */
export function adaptSets() {
  const b = S.builtinRaw;
  S.sets.builtin = { train: fit(b.train), valid: fit(b.valid), test: fit(b.test) };
  const o = S.ownRaw;
  // The learner's test set is its validation split: there are too few images for three.
  S.sets.own = o ? { train: fit(o.train), valid: fit(o.valid), test: fit(o.valid) } : null;
}

/** `{train: [{data, label}], valid: [...], shape}` from the page -> image sets. */
function makeSets({ train, valid, shape }) {
  const [h, w, c] = shape;
  const per = h * w * c;
  const make = (list) => {
    const x = new Float32Array(list.length * per);
    list.forEach((im, i) => x.set(im.data, i * per));
    return { count: list.length, x: { data: x, shape: [list.length, h, w, c] }, y: { data: Float32Array.from(list.map((im) => im.label)), shape: [list.length] } };
  };
  return { train: make(train), valid: make(valid) };
}

export const dataCommands = {
  /** The learner's images split by the page (or null: none). */
  useData({ own }) {
    S.ownRaw = own && own.train.length && own.valid.length ? makeSets(own) : null;
    adaptSets();
    return { own: S.sets.own ? { train: S.sets.own.train.count, valid: S.sets.own.valid.count } : null };
  },

  /** A test image of a scenario as pixels plus its label (for the predict picker). */
  testImage({ index, scenario }) {
    const t = setsFor(scenario).test;
    const per = t.x.data.length / t.count;
    const i = Math.max(0, Math.min(t.count - 1, index | 0));
    return { index: i, data: t.x.data.slice(i * per, (i + 1) * per), shape: t.x.shape.slice(1), label: t.y.data[i] };
  },

  /**
   * The learner's files: decode, crop, resize and convert each, one at a time (a huge
   * photo is one long task in this worker, never in the page). Files that cannot be
   * used are skipped, each with the reason as an error value.
   */
  async prepareImages({ files, invert, shape }) {
    // At the shape of the learner's earlier images if there are any (one set, one
    // shape; the set is resized to A's input as a whole), else at A's input.
    const [h, w, c] = shape || S.a.inputShape;
    const done = [];
    const skipped = [];
    for (let i = 0; i < files.length; i++) {
      const { name, blob, label } = files[i];
      try {
        done.push({ name, label, ...(await prepareOne(blob, name, [h, w, c], invert)), shape: [h, w, c] });
      } catch (err) {
        skipped.push({ name, error: toErrorValue(err) });
      }
      post({ type: 'progress', job: 'images', event: { done: i + 1, total: files.length } });
      await new Promise((r) => setTimeout(r, 0));
    }
    return { images: done, skipped, shape: [h, w, c] };
  },
};

async function prepareOne(blob, name, [h, w, c], invert) {
  if (blob.size > MAX_FILE_BYTES) throw pageError('FILE_TOO_LARGE', { name, size: blob.size, limit: MAX_FILE_BYTES });
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw pageError('NOT_AN_IMAGE', { name });
  }
  try {
    const pixels = bitmap.width * bitmap.height;
    if (pixels > MAX_PIXELS) throw pageError('TOO_MANY_PIXELS', { name, pixels, limit: MAX_PIXELS });
    const size = { width: bitmap.width, height: bitmap.height };
    // Contract 3: the engine's one resizing policy (src/image.rs) when it has it.
    if (S.tp.imageToInput) {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const g = canvas.getContext('2d', { willReadFrequently: true });
      // Transparent pixels count as white paper, not black (as image.js does).
      g.fillStyle = '#fff';
      g.fillRect(0, 0, bitmap.width, bitmap.height);
      g.drawImage(bitmap, 0, 0);
      const rgba = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const r = S.tp.imageToInput(rgba, bitmap.width, bitmap.height, { height: h, width: w, channels: c, invert });
      return { ...size, data: r.data, preview: r.preview };
    }
    return { ...size, ...toModelInput(bitmap, h, w, c, { invert }) };
  } finally {
    bitmap.close();
  }
}
