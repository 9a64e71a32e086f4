// The learner's-images rules without a browser: the file-header sniffer (formats and
// the sizes their headers declare, so an oversized image is refused before decoding),
// the stratified split (every class validated, at least one image each), the small-set
// rule for batch size and epochs (with the numbers the page shows), class removal
// relabelling the later classes' images; and the engine's toKeras({classNames}) under
// Node (skipped, visibly, where www/pkg is not built).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniff, bytesReader } from '../../www/own/sniff.js';
import { splitOwn, usable, shortClasses, ownDataId } from '../../www/own-data.js';
import { adaptedFor, steps, adaptPatch, unadaptPatch, MIN_STEPS } from '../../www/own/adapt.js';
import { removeClass, addClass, MAX_CLASSES, MAX_IMAGES } from '../../www/own/classes.js';
import { addImages } from '../../www/own/add.js';
import { readProject, FORMAT } from '../../www/project-file.js';
import { zip } from '../../www/zip.js';
import { DEFAULTS } from '../../www/state.js';

const bytes = (...parts) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v) => [v & 255, (v >>> 8) & 255];
const le32 = (v) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const look = (b) => sniff(bytesReader(b));

test('headers give the format and the declared size', async () => {
  // PNG: signature, then IHDR with big-endian width and height: 11,000 x 11,000, never decoded.
  const png = bytes([0x89], 'PNG\r\n', [0x1a, 0x0a], be32(13), 'IHDR', be32(11000), be32(11000), [8, 6, 0, 0, 0], be32(0));
  assert.deepEqual(await look(png), { format: 'PNG', width: 11000, height: 11000 });
  assert.deepEqual(await look(bytes('GIF89a', le16(640), le16(480), [0, 0, 0])), { format: 'GIF', width: 640, height: 480 });
  // BMP with a BITMAPINFOHEADER and a negative (top-down) height.
  const bmp = bytes('BM', le32(0), le32(0), le32(54), le32(40), le32(300), le32(-200 >>> 0), le16(1), le16(24));
  assert.deepEqual(await look(bmp), { format: 'BMP', width: 300, height: 200 });
  // WebP: lossy (VP8), lossless (VP8L) and extended (VP8X) headers.
  const vp8 = bytes('RIFF', le32(100), 'WEBP', 'VP8 ', le32(80), [0, 0, 0, 0x9d, 0x01, 0x2a], le16(1234), le16(567), [0, 0]);
  assert.deepEqual(await look(vp8), { format: 'WebP', width: 1234, height: 567 });
  const w = 1000 - 1;
  const h = 700 - 1;
  const vp8l = bytes('RIFF', le32(100), 'WEBP', 'VP8L', le32(80), [0x2f, w & 0xff, ((w >> 8) & 0x3f) | ((h & 3) << 6), (h >> 2) & 0xff, (h >> 10) & 0x0f], [0, 0, 0, 0, 0]);
  assert.deepEqual(await look(vp8l), { format: 'WebP', width: 1000, height: 700 });
  const vp8x = bytes('RIFF', le32(100), 'WEBP', 'VP8X', le32(10), [0, 0, 0, 0], [(4000 - 1) & 255, ((4000 - 1) >> 8) & 255, 0], [(3000 - 1) & 255, ((3000 - 1) >> 8) & 255, 0], [0, 0]);
  assert.deepEqual(await look(vp8x), { format: 'WebP', width: 4000, height: 3000 });
});

test('a JPEG is walked segment by segment to its frame header, past EXIF and ICC', async () => {
  const app1 = [0xff, 0xe1, (5002 >> 8) & 255, 5002 & 255]; // length counts itself
  const exif = new Array(5000).fill(7);
  const app2 = [0xff, 0xe2, 0x00, 0x12, ...new Array(16).fill(1)];
  const sof = [0xff, 0xc2, 0x00, 0x11, 8, ...[0x0f, 0xa0], ...[0x17, 0x70], 3, ...new Array(9).fill(0)];
  const jpg = bytes([0xff, 0xd8], app1, exif, [0xff, 0xff], app2, sof, [0xff, 0xda, 0, 2]);
  assert.deepEqual(await look(jpg), { format: 'JPEG', width: 6000, height: 4000 });
  // No frame header before the scan: the format is known, the size is not.
  assert.deepEqual(await look(bytes([0xff, 0xd8, 0xff, 0xda, 0, 2])), { format: 'JPEG', width: null, height: null });
});

test('formats browsers do not decode are named; other files are not images', async () => {
  const ftyp = (major, ...compat) => bytes(be32(16 + 4 * compat.length), 'ftyp', major, be32(0), ...compat);
  const ispe = bytes(be32(20), 'ispe', be32(0), be32(8064), be32(6048));
  const avif = new Uint8Array([...ftyp('avif', 'mif1'), ...ispe]);
  assert.deepEqual(await look(avif), { format: 'AVIF', width: 8064, height: 6048 });
  assert.equal((await look(ftyp('mif1', 'heic'))).format, 'HEIC');
  assert.equal((await look(bytes('II*', [0], le32(8)))).format, 'TIFF');
  assert.equal((await look(bytes('MM', [0, 42]))).format, 'TIFF');
  assert.equal((await look(bytes('8BPS', [0, 1]))).format, 'PSD');
  assert.equal((await look(bytes('%PDF-1.7\n'))).format, 'PDF');
  assert.equal((await look(bytes('  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).format, 'SVG');
  assert.deepEqual(await look(bytes('not an image at all')), { format: null, width: null, height: null });
  assert.deepEqual(await look(new Uint8Array(0)), { format: null, width: null, height: null });
});

const images = (counts) => counts.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ id: `${label}-${i}`, label, data: new Float32Array([label, i]) })));

test('the split is stratified: every class gives a fifth, at least one, to validation', () => {
  const s = splitOwn(images([15, 14]), 2);
  assert.deepEqual(s.perClass, [{ train: 12, valid: 3 }, { train: 12, valid: 2 }]);
  assert.equal(s.train.length, 24);
  assert.equal(s.valid.length, 5);
  // Small classes still get one validation image (the last one); a single image cannot.
  assert.deepEqual(splitOwn(images([2, 3, 4]), 3).perClass, [{ train: 1, valid: 1 }, { train: 2, valid: 1 }, { train: 3, valid: 1 }]);
  // The training list takes the classes in turn, so its first n stay balanced.
  assert.deepEqual(s.train.slice(0, 6).map((im) => im.label), [0, 1, 0, 1, 0, 1]);
  // No image is in both.
  const ids = new Set(s.train.map((im) => im.id));
  assert.ok(s.valid.every((im) => !ids.has(im.id)));
});

test('a set is usable when every class has two images or more', () => {
  assert.ok(usable(images([2, 2]), 2));
  assert.ok(!usable(images([2, 1]), 2));
  assert.deepEqual(shortClasses(images([5, 0, 1]), 3), [1, 2]);
  assert.ok(!usable(images([5, 5]), 3), 'an empty third class');
  // A third class changes the data id even with the same images.
  assert.notEqual(ownDataId(images([3, 3]), 2), ownDataId(images([3, 3]), 3));
});

test('the small-set rule: batch size and epochs from the number of training images', () => {
  // The 29 photos: 24 training images -> 6 batches of 4, 9 + 17 epochs = 54 + 102 steps.
  assert.deepEqual(adaptedFor(24), { bs: 4, ep3: 9, ep4: 17 });
  assert.deepEqual(steps({ n: 24, bs: 4, ep3: 9, ep4: 17 }, 24), { stage3: 54, stage4: 102, scratch: 156, per: 6 });
  // With the lecture's defaults the same set gets 4 steps in stage 3: flagged.
  assert.ok(steps({ ...DEFAULTS, n: 24 }, 24).stage3 < MIN_STEPS);
  assert.deepEqual(adaptedFor(15), { bs: 2, ep3: 7, ep4: 16 });
  assert.deepEqual(adaptedFor(200), { bs: 32, ep3: 8, ep4: 16 });
  assert.deepEqual(adaptedFor(1000), { bs: 32, ep3: 4, ep4: 16 });
  assert.deepEqual(adaptedFor(1), { bs: 1, ep3: 50, ep4: 100 });
  for (const n of [1, 2, 3, 7, 24, 63, 200, 5000]) {
    const a = adaptedFor(n);
    const st = steps({ n, ...a }, n);
    assert.ok(st.stage3 >= 50 || a.ep3 === 4, `n=${n}: ${st.stage3} steps in stage 3`);
    assert.ok(a.ep3 <= 200 && a.ep4 <= 200 && a.bs >= 1 && a.bs <= 32, `n=${n}: within the settings table`);
  }
});

test('the rule changes only values nobody chose, and gives them back', () => {
  const s = { ...DEFAULTS, ep3: 2 }; // a link set ep3
  const { patch, adapted } = adaptPatch(s, 24, DEFAULTS);
  assert.deepEqual(patch, { bs: 4, ep4: 17 });
  assert.deepEqual(adapted, { bs: 4, ep4: 17 });
  // The set grows: the rule's own values follow it; a value the learner typed stays.
  const grown = adaptPatch({ ...s, ...patch, ep4: 30 }, 48, DEFAULTS, adapted);
  assert.deepEqual(grown.patch, { bs: 8 });
  // Back to the built-in images: the rule's values become the lecture's again.
  assert.deepEqual(unadaptPatch({ ...s, ...patch }, DEFAULTS, adapted), { bs: 32, ep4: 16 });
});

test('removing a class removes its images and moves later labels down', () => {
  const project = { classes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], images: images([1, 2, 2]) };
  const { removed, moved } = removeClass(project, 1);
  assert.deepEqual(removed, ['1-0', '1-1']);
  assert.deepEqual(project.classes.map((c) => c.name), ['a', 'c']);
  assert.deepEqual(project.images.map((im) => [im.id, im.label]), [['0-0', 0], ['2-0', 1], ['2-1', 1]]);
  assert.deepEqual(moved.map((im) => im.id), ['2-0', '2-1']);
  assert.throws(() => removeClass(project, 0), (e) => e.code === 'TOO_FEW_CLASSES');
  while (project.classes.length < MAX_CLASSES) addClass(project);
  assert.throws(() => addClass(project), (e) => e.code === 'TOO_MANY_CLASSES' && e.params.max === MAX_CLASSES);
});

test('the set holds at most MAX_IMAGES images: files over it are not added and one message says how many', async () => {
  const calls = [];
  const ctx = {
    project: { classes: [{ name: 'a' }, { name: 'b' }], invert: false, images: Array.from({ length: MAX_IMAGES - 2 }, (_, i) => ({ id: `x${i}`, label: i % 2, data: new Float32Array(4), shape: [2, 2, 1] })) },
    engine: {
      call: async (cmd, args) => {
        calls.push([cmd, args?.files?.length]);
        if (cmd === 'prepareImages') return { images: args.files.map((f) => ({ name: f.name, label: f.label, data: new Float32Array(4), shape: [2, 2, 1] })), skipped: [], shape: [2, 2, 1] };
        return {};
      },
    },
    persist: { putImages: async () => {}, deleteImage: async () => {} },
    imagesChanged: () => {},
  };
  const files = (n) => Array.from({ length: n }, (_, i) => ({ name: `f${i}.png`, blob: new Blob([]) }));
  const r = await addImages(ctx, 0, files(5));
  assert.equal(r.added.length, 2);
  assert.equal(ctx.project.images.length, MAX_IMAGES);
  assert.deepEqual(calls[0], ['prepareImages', 2], 'only the files that fit are prepared');
  assert.deepEqual(r.skipped.map((s) => [s.error.code, s.error.params]), [['TOO_MANY_IMAGES', { n: 3, max: MAX_IMAGES }]]);
  const full = await addImages(ctx, 1, files(4));
  assert.equal(full.added.length, 0);
  assert.deepEqual(full.skipped[0].error.params, { n: 4, max: MAX_IMAGES });
  assert.equal(calls.length, 2, 'a full set prepares nothing');
  // A project file listing more is refused before anything is decoded.
  const json = { format: FORMAT, version: 1, images: Array.from({ length: MAX_IMAGES + 1 }, (_, i) => ({ file: `images/${i}.png`, label: 0, shape: [2, 2, 1] })) };
  const bytes = zip([{ name: 'project.json', bytes: new TextEncoder().encode(JSON.stringify(json)) }]);
  await assert.rejects(readProject(bytes), (e) => e.code === 'BAD_PROJECT' && /at most 1000/.test(e.params.detail));
});

test('toKeras({classNames}) in the engine (www/pkg under Node): the names, or why not', async (t) => {
  const { existsSync, readFileSync } = await import('node:fs');
  if (!existsSync('www/pkg/transfer_playground_bg.wasm')) { t.skip('www/pkg is not built (bash scripts/build-web.sh)'); return; }
  const tp = await import('../../www/pkg/transfer_playground.js');
  tp.initSync({ module: readFileSync('www/pkg/transfer_playground_bg.wasm') });
  // B as the page builds it for three classes: A's layers but the last + Dense(3, softmax).
  const a = tp.loadLayersModel(readFileSync('www/assets/model-a/model.json', 'utf8'), readFileSync('www/assets/model-a/weights.bin'));
  const b = tp.sequential(a.layers.slice(0, -1));
  b.add({ className: 'Dense', units: 3, activation: 'softmax' });
  const { unzip } = await import('../../www/zip.js');
  const meta = async (bytes) => JSON.parse(new TextDecoder().decode((await unzip(bytes)).find((e) => e.name === 'metadata.json').bytes));
  assert.deepEqual((await meta(b.toKeras({ classNames: ['cat', 'dog', '새'] }))).class_names, ['cat', 'dog', '새']);
  assert.equal((await meta(b.toKeras())).class_names, undefined);
  const code = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
  assert.equal(code(() => b.toKeras({ classNames: ['cat', 'dog'] })), 'CONFIG');
  assert.equal(code(() => b.toKeras({ classNames: 'cat,dog,bird' })), 'BAD_OPTION');
  assert.equal(code(() => b.toKeras({ classNames: ['cat', 2, 'bird'] })), 'BAD_OPTION');
  assert.equal(code(() => b.toKeras({ classnames: ['a', 'b', 'c'] })), 'BAD_OPTION');
});
