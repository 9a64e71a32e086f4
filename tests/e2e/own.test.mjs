// The learner's own images as a learner handles them: named classes (add, rename,
// remove), files from the picker, dropped anywhere on the page and pasted, one image
// removed, a class cleared, all of it kept across reloads; "invert" redone for the
// whole set (also images added before) with the preview equal to the model's input;
// and files that cannot be used, each with its real reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzip } from '../../www/zip.js';
import { useBrowser, openPage, newContext, shot, waitReady } from './helpers.mjs';
import { shapes, many, dropFiles, pasteFiles, counts, waitCounts } from './own-helpers.mjs';

const browser = useBrowser();

const names = (page) => page.$$eval('.class-card input.class-name', (els) => els.map((e) => e.value));
const ids = (page, k) => page.$$eval(`#thumbs-${k} .thumb`, (els) => els.map((e) => e.dataset.imageId));

test('named classes: add, rename, remove; picker, drop anywhere, paste; remove one image, clear a class; kept across reloads', { timeout: 240_000 }, async () => {
  const context = await newContext(browser.get());
  const { page, errors } = await openPage(context, '#be=cpu');
  assert.equal(await page.locator('.class-card').count(), 2, 'two classes to start with');
  assert.equal(await page.getAttribute('#class-name-0', 'placeholder'), 'Class 1');
  await page.fill('#class-name-0', 'circle');
  await page.fill('#class-name-1', 'bar');
  await page.click('#class-add');
  await page.fill('#class-name-2', 'cross');
  assert.deepEqual(await names(page), ['circle', 'bar', 'cross']);
  // Typing into another name while a class is being added: the keys stay there (the new
  // card takes the focus only if the learner has not moved it; it used to take it
  // mid-word, and the rest of the word went into the new class's name).
  await page.click('#class-add');
  await page.focus('#class-name-1');
  await page.keyboard.type(' and line', { delay: 60 });
  await page.waitForSelector('#class-name-3');
  assert.deepEqual(await names(page), ['circle', 'bar and line', 'cross', '']);
  await page.click('#class-remove-3'); // no images: removed at once
  await page.fill('#class-name-1', 'bar');
  assert.deepEqual(await names(page), ['circle', 'bar', 'cross']);

  const discs = await shapes(page, many('disc', 4));
  const bars = await shapes(page, many('bar', 2));
  const crosses = await shapes(page, many('cross', 2));
  await page.setInputFiles('#files-0', discs.slice(0, 3));
  await waitCounts(page, [3, 0, 0]);

  // Dropped onto a class card (on a child of it): that class.
  const onCard = await dropFiles(page, '#thumbs-1', bars);
  assert.deepEqual(onCard, { over: true, drop: true, overlay: true });
  await waitCounts(page, [3, 2, 0]);
  // Dropped outside any class: the selected class, and the page does not navigate away.
  await page.check('#class-pick-2');
  const url = page.url();
  const outside = await dropFiles(page, 'header h1', crosses);
  assert.deepEqual(outside, { over: true, drop: true, overlay: true }, 'the browser\'s default (open the file) is prevented');
  await waitCounts(page, [3, 2, 2]);
  assert.equal(page.url(), url);
  assert.ok(await page.isHidden('#drop-overlay'));
  assert.equal(await page.getAttribute('#own-status', 'data-key'), 'own.doneSelected');
  assert.match(await page.textContent('#own-status'), /“cross”/);
  // Pasted: the selected class.
  await page.check('#class-pick-0');
  assert.equal(await pasteFiles(page, discs.slice(3)), true);
  await waitCounts(page, [4, 2, 2]);

  // Remove one image.
  const before = await ids(page, 0);
  await page.click(`#thumbs-0 .thumb[data-image-id="${before[1]}"] .remove-image`);
  await waitCounts(page, [3, 2, 2]);
  assert.deepEqual(await ids(page, 0), [before[0], before[2], before[3]]);
  // Clear a class: two clicks.
  await page.click('#class-clear-1');
  assert.equal(await page.getAttribute('#class-clear-1', 'data-armed'), 'true');
  assert.equal(await page.locator('#thumbs-1 .thumb').count(), 2, 'nothing cleared on the first click');
  await page.click('#class-clear-1');
  await waitCounts(page, [3, 0, 2]);
  // The split says how many images each class gives to validation.
  assert.equal(await page.getAttribute('#own-split', 'data-per-class'), '1,0,1');
  assert.match(await page.textContent('#own-split'), /circle 2 \+ 1, bar 0 \+ 0, cross 1 \+ 1/);
  // An empty class cannot be trained on: "Train on my images" names it.
  await page.click('#own-use');
  assert.equal(await page.getAttribute('#own-status', 'data-key'), 'CLASSES_NEED_IMAGES');
  assert.match(await page.textContent('#own-status'), /“bar”/);
  await shot(page, 'own-classes', '#own');

  // Everything is back after a reload: names, images (same ids), counts.
  const crossIds = await ids(page, 2);
  await page.reload();
  await waitReady(page);
  assert.deepEqual(await names(page), ['circle', 'bar', 'cross']);
  assert.deepEqual(await counts(page), [3, 0, 2]);
  assert.deepEqual(await ids(page, 2), crossIds);

  // Removing a class with images asks first.
  await page.click('#class-remove-2');
  assert.equal(await page.getAttribute('#class-remove-2', 'data-armed'), 'true');
  assert.deepEqual(await counts(page), [3, 0, 2]);
  // An empty class goes at once: the later class moves down, its images with it.
  await page.click('#class-remove-1');
  await page.waitForFunction(() => document.querySelectorAll('.class-card').length === 2);
  assert.deepEqual(await names(page), ['circle', 'cross']);
  await waitCounts(page, [3, 2]);
  assert.deepEqual(await ids(page, 1), crossIds);
  // Two classes are the minimum.
  assert.ok(await page.isDisabled('#class-remove-1'));
  await page.reload();
  await waitReady(page);
  assert.deepEqual(await names(page), ['circle', 'cross']);
  assert.deepEqual(await ids(page, 1), crossIds);
  // Korean: the defaults and labels follow the language.
  await page.selectOption('#lang', 'ko');
  await page.fill('#class-name-1', '');
  assert.equal(await page.getAttribute('#class-name-1', 'placeholder'), '클래스 2');
  await page.waitForFunction(() => document.querySelector('#drop-1').dataset.name === '클래스 2');
  await shot(page, 'own-classes-ko', '#own');
  assert.deepEqual(errors, []);
  await context.close();
});

/** The pixels of each "what the model receives" canvas (R of RGBA). */
function previews(page) {
  return page.$$eval('.thumb canvas.pix', (cs) => cs.map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 === 0)));
}

test('invert applies to the whole set, also to images added before, and the preview is the model\'s input', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#be=cpu');
  const files = await shapes(page, [...many('disc', 2), ...many('bar', 2)]);
  await page.setInputFiles('#files-0', files.slice(0, 2));
  await page.setInputFiles('#files-1', files.slice(2));
  await waitCounts(page, [2, 2]);
  const plain = await previews(page);
  assert.ok(plain[0].some((v) => v > 200) && plain[0].some((v) => v < 50), 'a white disc on black');

  await page.check('#invert');
  await page.waitForSelector('#own-status[data-key="own.invertedAll"]');
  const inverted = await previews(page);
  for (const [i, img] of inverted.entries()) {
    const off = img.reduce((m, v, j) => Math.max(m, Math.abs(v - (255 - plain[i][j]))), 0);
    assert.ok(off <= 1, `image ${i}: inverted pixel for pixel (off by ${off})`);
  }
  // An image added now is inverted too: the same file gives the inverted preview.
  await page.setInputFiles('#files-0', files.slice(0, 1));
  await waitCounts(page, [3, 2]);
  assert.deepEqual((await previews(page))[2], inverted[0]);

  // What the model receives is what the preview shows: the project's model inputs
  // (images/inputs.f32, the data sent to the worker) against the canvases.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const entries = new Map((await unzip(new Uint8Array(readFileSync(await download.path())))).map((e) => [e.name, e.bytes]));
  const f32 = entries.get('images/inputs.f32');
  const inputs = new Float32Array(f32.buffer.slice(f32.byteOffset, f32.byteOffset + f32.length));
  const shown = await previews(page); // cards in class order: [disc, disc, disc(new)], [bar, bar]
  const project = JSON.parse(new TextDecoder().decode(entries.get('project.json')));
  assert.equal(project.invert, true);
  assert.ok(project.images.every((im) => im.invert && im.source?.startsWith('sources/')), 'sources kept in the zip');
  const per = 28 * 28;
  const byLabel = project.images.map((im, i) => [im.label, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  byLabel.forEach(([, i], shownAt) => {
    const off = shown[shownAt].reduce((m, v, j) => Math.max(m, Math.abs(v - 255 * inputs[i * per + j])), 0);
    assert.ok(off <= 0.51, `image ${i}: preview = 255 × model input (off by ${off})`);
  });

  // Off again: back to the first previews, for every image.
  await page.uncheck('#invert');
  await page.waitForSelector('#own-status[data-key="own.uninvertedAll"]');
  const back = await previews(page);
  assert.deepEqual(back.slice(0, 2), plain.slice(0, 2));
  assert.deepEqual(back[2], plain[0]);
  assert.deepEqual(back.slice(3), plain.slice(2));
  assert.deepEqual(errors, []);
  await page.close();
});

/** A PNG whose header declares `w` x `h` (signature + IHDR only: nothing to decode). */
function pngHeader(w, h, rest = []) {
  const be = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...be(13), 0x49, 0x48, 0x44, 0x52, ...be(w), ...be(h), 8, 6, 0, 0, 0, 0, 0, 0, 0, ...rest]);
}

test('files that cannot be used say why: over the pixel limit (from the header), a format this browser cannot decode, damaged, not an image', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#be=cpu');
  const [good] = await shapes(page, [{ shape: 'disc', w: 41, h: 29 }]);
  const files = [
    { name: 'huge-11000x11000.png', mimeType: 'image/png', buffer: pngHeader(11000, 11000) },
    { name: 'IMG_0042.HEIC', mimeType: 'image/heic', buffer: Buffer.from([0, 0, 0, 24, ...Buffer.from('ftypheic'), 0, 0, 0, 0, ...Buffer.from('mif1heic')]) },
    { name: 'scan.tif', mimeType: 'image/tiff', buffer: Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0]) },
    { name: 'cut-short.png', mimeType: 'image/png', buffer: pngHeader(40, 30, [0, 0, 0, 9, 0x49, 0x44, 0x41, 0x54, 1, 2]) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    good,
  ];
  await page.setInputFiles('#files-0', files);
  await page.waitForSelector('#own-status[data-state="done"]', { timeout: 60_000 });
  await waitCounts(page, [1, 0]);
  assert.equal(await page.getAttribute('#own-status', 'data-skipped'), 'huge-11000x11000.png,IMG_0042.HEIC,scan.tif,cut-short.png,notes.txt');
  assert.equal(await page.getAttribute('#own-status', 'data-skipped-codes'), 'TOO_MANY_PIXELS,IMAGE_UNSUPPORTED,IMAGE_UNSUPPORTED,IMAGE_DAMAGED,NOT_AN_IMAGE');
  const text = await page.textContent('#own-status');
  // The real size and the limit, read from the header, not "not a readable image".
  const m = text.match(/huge-11000x11000\.png is 11000×11000 = 121 megapixels, over the limit of ([\d.]+) megapixels/);
  assert.ok(m, text);
  assert.ok(Number(m[1]) < 121 && Number(m[1]) >= 60, `the limit: ${m[1]} megapixels`);
  assert.match(text, /IMG_0042\.HEIC is a HEIC image, which this browser cannot decode \(supported: PNG, JPEG, GIF, WebP, BMP, AVIF\)/);
  assert.match(text, /scan\.tif is a TIFF image/);
  assert.match(text, /cut-short\.png looks like a PNG image but cannot be decoded/);
  assert.match(text, /notes\.txt is not an image this page can read \(supported: PNG, JPEG/);
  await shot(page, 'own-messages', '#own');
  // In Korean, the same reasons.
  await page.selectOption('#lang', 'ko');
  const ko = await page.textContent('#own-status');
  assert.match(ko, /11000×11000 = 121메가픽셀로, 한도 [\d.]+메가픽셀을 넘습니다/);
  assert.match(ko, /HEIC 이미지는 이 브라우저가 디코딩할 수 없습니다/);
  await shot(page, 'own-messages-ko', '#own');
  assert.deepEqual(errors, []);
  await page.close();
});

test('another model A: the set is made again at its input shape from the kept originals', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#be=cpu');
  const files = await shapes(page, [...many('disc', 2), ...many('bar', 2)]);
  await page.setInputFiles('#files-0', files.slice(0, 2));
  await page.setInputFiles('#files-1', files.slice(2));
  await waitCounts(page, [2, 2]);
  const shapesNow = () => page.$$eval('.thumb .resized', (els) => els.map((e) => e.dataset.shape));
  assert.deepEqual(await shapesNow(), ['28x28x1', '28x28x1', '28x28x1', '28x28x1']);
  await page.setInputFiles('#model-files', { name: 'rgb_bn.keras', mimeType: 'application/octet-stream', buffer: readFileSync('tests/fixtures/keras/rgb_bn.keras') });
  await page.waitForSelector('#a-info[data-input-shape="64x64x3"]', { timeout: 60_000 });
  await page.waitForSelector('#own-status[data-key="own.reshaped"]', { timeout: 60_000 });
  assert.deepEqual(await shapesNow(), ['64x64x3', '64x64x3', '64x64x3', '64x64x3']);
  // In colour and at 64x64 now: the preview is what this model receives.
  const size = await page.$eval('.thumb canvas.pix', (c) => [c.width, c.height]);
  assert.deepEqual(size, [64, 64]);
  // New images come at the set's (A's) shape too.
  await page.setInputFiles('#files-0', files.slice(0, 1));
  await waitCounts(page, [3, 2]);
  assert.equal((await shapesNow())[2], '64x64x3');
  assert.deepEqual(errors, []);
  await page.close();
});
