// The project file: the learner's whole work as one zip a teacher can hand to a class.
//   project.json                      format, version, settings, model A's source,
//                                     classes (the learner's names), preprocessing
//                                     (invert), results (with provenance), image list
//   models/model_A.keras              the learner's model A (absent: the built-in one)
//   models/model_B_on_A.keras         B as trained last (stage 3 or 4)
//   models/model_B_after_stage3.keras B at the end of stage 3 (where stage 4 starts)
//   models/model_B_scratch.keras      B trained from scratch
//   images/<label>_<class name>/<n>.png  each image as the model sees it
//   sources/<label>_<class name>/<n>.png the image as kept (up to 160 pixels a side),
//                                     from which preprocessing is redone
//   images/labels.csv                 file,label,class,name: the labels for other tools
//   images/inputs.f32                 the exact model inputs (little-endian float32,
//                                     in project.json's image order); without it the
//                                     PNGs are used, so a hand-made zip works too
// `readProject` returns the same shape as persist.js's `load()`, so a reload and an
// import restore through one path.
import { zip, unzip } from './zip.js';
import { pageError } from './errors.js';
import { classNames, normalise, MAX_CLASSES, MAX_IMAGES } from './own/classes.js';

export const FORMAT = 'transfer-playground-project';
const MODEL_FILES = { a: 'models/model_A.keras', b: 'models/model_B_on_A.keras', snap3: 'models/model_B_after_stage3.keras', scratch: 'models/model_B_scratch.keras' };

async function toPng(rgba, w, h) {
  const c = new OffscreenCanvas(w, h);
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  return new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

/** A PNG's RGBA pixels at its own size (a kept source). */
async function pngPixels(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: g.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height };
}

/** A class name as a folder name: no separators, quotes or control characters. */
const folder = (label, name) => `${label}_${name.replace(/[\s/\\:*?"<>|\x00-\x1f]+/g, '_').slice(0, 40)}`;

async function fromPng(bytes, [h, w, ch]) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const preview = g.getImageData(0, 0, w, h).data;
  const data = new Float32Array(h * w * ch);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < ch; k++) data[i * ch + k] = preview[4 * i + k] / 255;
  return { data, preview };
}

/** `saved` (persist.js's shape: {meta, results, images, models}) -> zip bytes. */
export async function writeProject(saved) {
  const files = [];
  const images = [];
  const counters = {};
  const names = classNames(normalise(saved.meta.classes));
  const quote = (x) => `"${String(x).replace(/"/g, '""')}"`;
  for (const im of saved.images) {
    counters[im.label] = (counters[im.label] || 0) + 1;
    const stem = `${folder(im.label, names[im.label] ?? '')}/${String(counters[im.label]).padStart(4, '0')}.png`;
    const file = `images/${stem}`;
    files.push({ name: file, bytes: await toPng(im.preview, im.shape[1], im.shape[0]) });
    const entry = { file, label: im.label, name: im.name, width: im.width, height: im.height, shape: im.shape, invert: !!im.invert };
    if (im.source) {
      entry.source = `sources/${stem}`;
      files.push({ name: entry.source, bytes: await toPng(im.source.data, im.source.width, im.source.height) });
    }
    images.push(entry);
  }
  if (saved.images.length) {
    const csv = ['file,label,class,name', ...images.map((im) => `${quote(im.file)},${im.label},${quote(names[im.label] ?? '')},${quote(im.name)}`)].join('\n');
    files.push({ name: 'images/labels.csv', bytes: new TextEncoder().encode(`${csv}\n`) });
    const total = saved.images.reduce((s, im) => s + im.data.length, 0);
    const f32 = new Float32Array(total);
    let at = 0;
    for (const im of saved.images) { f32.set(im.data, at); at += im.data.length; }
    files.push({ name: 'images/inputs.f32', bytes: new Uint8Array(f32.buffer) });
  }
  const models = {};
  for (const [k, file] of Object.entries(MODEL_FILES)) {
    const m = saved.models[k];
    if (!m?.bytes) continue;
    files.push({ name: file, bytes: m.bytes });
    models[k] = { file, ...(m.id ? { id: m.id } : {}) };
  }
  const json = { ...saved.meta, format: FORMAT, version: 1, images, models, results: saved.results };
  files.unshift({ name: 'project.json', bytes: new TextEncoder().encode(JSON.stringify(json, null, 1)) });
  return zip(files);
}

/** Zip bytes -> `{meta, results, images, models}`; BAD_PROJECT {detail} if it is not one. */
export async function readProject(bytes) {
  const entries = new Map((await unzip(bytes)).map((e) => [e.name, e.bytes]));
  const bad = (detail) => pageError('BAD_PROJECT', { detail });
  if (!entries.has('project.json')) throw bad('no project.json in the archive');
  let json;
  try { json = JSON.parse(new TextDecoder().decode(entries.get('project.json'))); } catch (e) { throw bad(`project.json: ${e.message}`); }
  if (json.format !== FORMAT) throw bad(`project.json: format is ${JSON.stringify(json.format)}, expected ${FORMAT}`);
  if (json.version !== 1) throw bad(`project.json: version ${json.version} is newer than this page`);
  const models = {};
  for (const [k, m] of Object.entries(json.models || {})) {
    if (!MODEL_FILES[k]) continue;
    if (!entries.has(m.file)) throw bad(`${m.file} is listed but missing`);
    models[k] = { bytes: entries.get(m.file), ...(m.id ? { id: m.id } : {}) };
  }
  const list = json.images || [];
  if (list.length > MAX_IMAGES) throw bad(`${list.length} images; a project holds at most ${MAX_IMAGES}`);
  const f32 = entries.get('images/inputs.f32');
  const per = list.map((im) => im.shape[0] * im.shape[1] * im.shape[2]);
  const exact = f32 && f32.length === 4 * per.reduce((s, n) => s + n, 0)
    ? new Float32Array(f32.buffer.slice(f32.byteOffset, f32.byteOffset + f32.length)) : null;
  const images = [];
  let at = 0;
  const classes = Math.min(MAX_CLASSES, Math.max(2, (json.classes || []).length));
  for (const [i, im] of list.entries()) {
    if (!entries.has(im.file)) throw bad(`${im.file} is listed but missing`);
    if (!Number.isInteger(im.label) || im.label < 0 || im.label >= classes) throw bad(`${im.file}: label ${im.label} is not a class of this project (0 to ${classes - 1})`);
    const decoded = await fromPng(entries.get(im.file), im.shape);
    const data = exact ? exact.slice(at, at + per[i]) : decoded.data;
    at += per[i];
    const source = im.source && entries.has(im.source) ? await pngPixels(entries.get(im.source)) : undefined;
    images.push({ id: `imported-${i}-${Date.now().toString(36)}`, label: im.label, name: im.name || im.file, width: im.width, height: im.height, shape: im.shape, data, preview: decoded.preview, invert: !!im.invert, ...(source ? { source } : {}) });
  }
  const { images: _i, models: _m, results, format: _f, ...meta } = json;
  return { meta, results: results || [], images, models };
}
