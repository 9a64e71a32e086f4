// The webcam, with Chromium's fake camera (--use-fake-device-for-media-stream: a moving
// test pattern; --use-fake-ui-for-media-stream: permission granted): a class's
// "Webcam" opens a mirrored preview with the kept square drawn on it, holding
// "record" takes about 10 frames a second into that class through the same path as
// files, a model trained on them predicts live webcam frames by the learner's names;
// and a refused, missing or busy camera is told in the learner's language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useBrowser, openPage, shot, waitResult } from './helpers.mjs';
import { waitCounts } from './own-helpers.mjs';

const browser = useBrowser({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
const en = JSON.parse(readFileSync('www/i18n/en.json', 'utf8'));
const ko = JSON.parse(readFileSync('www/i18n/ko.json', 'utf8'));

/** Holds the record button for `ms` with the keyboard (Space down ... up); returns the count shown. */
async function hold(page, ms) {
  await page.focus('#cam-record');
  await page.keyboard.down(' ');
  await page.waitForSelector('#cam-panel[data-state="recording"]');
  await new Promise((r) => setTimeout(r, ms));
  await page.keyboard.up(' ');
  await page.waitForSelector('#cam-panel[data-state="ready"]');
  return Number(await page.getAttribute('#cam-count', 'data-count'));
}

test('the fake camera records frames into a class; a model trained on them predicts live frames', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#seed=2&be=cpu');
  await page.fill('#class-name-0', 'me');
  await page.fill('#class-name-1', 'not me');
  await page.click('#cam-open-0');
  await page.waitForFunction(() => document.querySelector('#cam-panel video').videoWidth > 0, null, { timeout: 30_000 });
  assert.equal(await page.getAttribute('#cam-panel', 'data-class'), '0');
  assert.match(await page.textContent('#cam-title'), /“me”/);
  // The preview is mirrored, and the kept square (28x28: square) is drawn centred on it.
  const view = await page.evaluate(() => {
    const v = document.querySelector('#cam-panel video');
    const o = document.querySelector('#cam-panel canvas.crop');
    const d = o.getContext('2d').getImageData(0, 0, o.width, o.height).data;
    let x0 = o.width; let x1 = -1; let y0 = o.height; let y1 = -1;
    for (let y = 0; y < o.height; y++) {
      for (let x = 0; x < o.width; x++) {
        const i = 4 * (y * o.width + x);
        if (d[i] > 200 && d[i + 1] > 150 && d[i + 2] < 80 && d[i + 3] > 200) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
    }
    return { transform: getComputedStyle(v).transform, w: v.videoWidth, h: v.videoHeight, box: [o.width, o.height], square: [x0, y0, x1, y1], cameras: document.querySelectorAll('#cam-device option').length };
  });
  assert.equal(view.transform, 'matrix(-1, 0, 0, 1, 0, 0)', 'mirrored preview');
  assert.ok(view.cameras >= 1, 'the camera list');
  const [x0, y0, x1, y1] = view.square;
  assert.ok(x1 > x0 && Math.abs((x1 - x0) - (y1 - y0)) <= 2, `a square: ${view.square}`);
  assert.ok(Math.abs((x0 + x1) / 2 - view.box[0] / 2) <= 2 && Math.abs((y0 + y1) / 2 - view.box[1] / 2) <= 2, `centred in ${view.box}: ${view.square}`);
  await shot(page, 'camera-panel', '#cam-panel');

  // Hold to record: about 10 frames a second, counted, then in the class as images.
  const n0 = await hold(page, 1200);
  assert.ok(n0 >= 6 && n0 <= 16, `${n0} frames in 1.2 s at 10 frames/s`);
  await waitCounts(page, [n0, 0]);
  assert.match(await page.textContent('#thumbs-0 .resized'), /^webcam-0001: \d+×\d+ → 28×28×1$/);
  // The other class: open its webcam (the same stream), record with the pointer.
  await page.click('#cam-open-1');
  assert.equal(await page.getAttribute('#cam-panel', 'data-class'), '1');
  const rec = await page.locator('#cam-record').boundingBox();
  await page.mouse.move(rec.x + rec.width / 2, rec.y + rec.height / 2);
  await page.mouse.down();
  await new Promise((r) => setTimeout(r, 700));
  await page.mouse.up();
  await page.waitForSelector('#cam-panel[data-state="ready"]');
  const n1 = Number(await page.getAttribute('#cam-count', 'data-count'));
  assert.ok(n1 >= 3, `${n1} frames`);
  await waitCounts(page, [n0, n1]);
  await shot(page, 'camera-recorded', '#own');
  await page.click('#cam-close');
  assert.ok(await page.isHidden('#cam-panel'));

  // Train on them (briefly) and predict live webcam frames.
  await page.click('#own-use');
  await page.fill('#ep3', '2');
  await page.press('#ep3', 'Tab');
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  await page.click('#pred-cam');
  await page.waitForFunction(() => Number(document.querySelector('#pred-cam-view').dataset.frames) >= 2, null, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#pred-out', 'data-source'), 'webcam');
  assert.deepEqual(await page.$$eval('#pred-bars .bar-name', (els) => els.map((e) => e.textContent)), ['me', 'not me']);
  assert.ok(['me', 'not me'].includes(await page.getAttribute('#pred-out', 'data-top')));
  await shot(page, 'camera-predict', '#predict');
  await page.click('#pred-cam');
  assert.equal(await page.getAttribute('#pred-cam-view', 'data-state'), 'off');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a refused, missing or busy camera is told, in English and in Korean', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#be=cpu');
  const fail = (name) => page.evaluate((n) => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('simulated', n));
  }, name);
  for (const [name, code] of [['NotAllowedError', 'CAMERA_DENIED'], ['NotFoundError', 'NO_CAMERA'], ['NotReadableError', 'CAMERA_BUSY']]) {
    await fail(name);
    await page.click('#cam-open-0');
    await page.waitForSelector(`#cam-msg[data-code="${code}"]`);
    assert.ok(await page.isVisible('#cam-msg'));
    assert.ok((await page.textContent('#cam-msg')).startsWith(en[`err.${code}`]), await page.textContent('#cam-msg'));
    assert.ok(await page.isDisabled('#cam-record'));
    await page.click('#cam-close');
  }
  await page.selectOption('#lang', 'ko');
  await page.click('#cam-open-1');
  await page.waitForSelector('#cam-msg[data-code="CAMERA_BUSY"]');
  assert.ok((await page.textContent('#cam-msg')).startsWith(ko['err.CAMERA_BUSY']));
  await shot(page, 'camera-refused-ko', '#cam-panel');
  // Live predictions say so too.
  await fail('NotAllowedError');
  await page.click('#pred-cam');
  await page.waitForSelector('#pred-cam-msg[data-code="CAMERA_DENIED"]');
  assert.ok((await page.textContent('#pred-cam-msg')).startsWith(ko['err.CAMERA_DENIED']));
  assert.deepEqual(errors, []);
  await page.close();
});
