// The learner's images in the worker: files (picked, dropped, pasted) and webcam frames
// become model inputs, one at a time, so a huge photo is one long task here and never in
// the page. Each image first becomes its *source*: the picture kept at no more than
// SOURCE_SIDE pixels a side; the model input is made from the source, so preprocessing
// (invert, another model A's input) can be redone for the whole set later and gives
// exactly what adding the image again would. Both steps use the engine's resizing policy,
// the project's only one (`imageToInput`, src/image.rs: centre crop, area averaging,
// alpha over white, BT.601 luma). A file that cannot be used is skipped with the reason:
// over a limit (which one, and the value), a format this browser does not decode (and
// which it does), or damaged.
import { S, post, nextTask } from './worker-session.js';
import { pageError, toErrorValue } from './errors.js';
import { sniff, blobReader, DECODABLE } from './own/sniff.js';

/** Files above this size are refused before they are read (the tab's memory). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Pixels of one image: the page's limit, or the engine's `limits().maxImagePixels` if smaller. */
const PAGE_MAX_PIXELS = 120e6;
/** The longest side of an image's kept source (RGBA: at most 100 KB an image). */
export const SOURCE_SIDE = 160;

const MB = 1024 * 1024;
const round1 = (x) => Number(x.toFixed(1));

function pixelLimit() {
  return Math.min(PAGE_MAX_PIXELS, S.tp.limits().maxImagePixels);
}

function checkPixels(name, width, height) {
  const limit = pixelLimit();
  if (width * height > limit) {
    throw pageError('TOO_MANY_PIXELS', { name, width, height, pixels: width * height, limit, megapixels: round1(width * height / 1e6), limitMegapixels: round1(limit / 1e6) });
  }
}

/** The RGBA pixels of a decoded image, transparent parts on white paper (as the engine's policy). */
function pixelsOf(image) {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  g.fillStyle = '#fff';
  g.fillRect(0, 0, image.width, image.height);
  g.drawImage(image, 0, 0);
  return g.getImageData(0, 0, image.width, image.height).data;
}

/** The source kept for an image: `{data: RGBA, width, height}`, at most SOURCE_SIDE a side. */
function toSource(image) {
  const { width: w, height: h } = image;
  const s = Math.min(1, SOURCE_SIDE / Math.max(w, h));
  const sw = Math.max(1, Math.round(w * s));
  const sh = Math.max(1, Math.round(h * s));
  if (sw === w && sh === h) return { data: new Uint8ClampedArray(pixelsOf(image)), width: w, height: h };
  const { preview } = S.tp.imageToInput(pixelsOf(image), w, h, { height: sh, width: sw, channels: 3, invert: false });
  return { data: new Uint8ClampedArray(preview), width: sw, height: sh };
}

/** The model input `{data, preview}` made from a source, at shape [h, w, c]. */
export function fromSource(source, [h, w, c], invert) {
  const r = S.tp.imageToInput(source.data, source.width, source.height, { height: h, width: w, channels: c, invert });
  return { data: r.data, preview: r.preview };
}

/** A file's decoded image, or the error that says why there is none. */
async function decode(blob, name) {
  if (blob.size > MAX_FILE_BYTES) {
    throw pageError('FILE_TOO_LARGE', { name, size: blob.size, limit: MAX_FILE_BYTES, megabytes: round1(blob.size / MB), limitMegabytes: MAX_FILE_BYTES / MB });
  }
  const head = await sniff(blobReader(blob));
  // The header's size first: an image over the limit is never decoded.
  if (head.width && head.height) checkPixels(name, head.width, head.height);
  try {
    return await createImageBitmap(blob);
  } catch {
    const supported = DECODABLE.join(', ');
    if (!head.format) throw pageError('NOT_AN_IMAGE', { name, supported });
    if (DECODABLE.includes(head.format)) throw pageError('IMAGE_DAMAGED', { name, format: head.format });
    throw pageError('IMAGE_UNSUPPORTED', { name, format: head.format, supported });
  }
}

/** One file (`blob`) or webcam frame (`bitmap`) -> `{width, height, source, data, preview}`. */
async function prepareOne({ name, blob, bitmap }, shape, invert) {
  const image = bitmap || await decode(blob, name);
  try {
    checkPixels(name, image.width, image.height);
    const source = toSource(image);
    return { width: image.width, height: image.height, source, ...fromSource(source, shape, invert), invert: !!invert };
  } finally {
    image.close();
  }
}

export const imageCommands = {
  /**
   * Files `{name, blob, label}` or webcam frames `{name, bitmap, label}` -> model inputs
   * at `shape` (the shape of the learner's earlier images: one set, one shape; the set
   * is resized to A's input as a whole), else at A's input. Skipped files come back
   * with the reason as an error value.
   */
  async prepareImages({ files, invert, shape }) {
    const [h, w, c] = shape || S.a.inputShape;
    const images = [];
    const skipped = [];
    for (let i = 0; i < files.length; i++) {
      const { name, label } = files[i];
      try {
        images.push({ name, label, ...(await prepareOne(files[i], [h, w, c], invert)), shape: [h, w, c] });
      } catch (err) {
        skipped.push({ name, error: toErrorValue(err) });
      }
      if (files.length > 1) post({ type: 'progress', job: 'images', event: { done: i + 1, total: files.length } });
      await nextTask();
    }
    return { images, skipped, shape: [h, w, c] };
  },

  /** Preprocessing redone from kept sources: `{images: [{id, source}], shape, invert}` -> `{images: [{id, data, preview}]}`. */
  reprocessImages({ images, shape, invert }) {
    return { images: images.map(({ id, source }) => ({ id, ...fromSource(source, shape, invert) })) };
  },
};
