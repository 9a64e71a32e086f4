// Keras interop through the page, as a teacher would use it: drop a model A saved by
// real Keras (`model.save('my_model_A.h5')`, tests/fixtures/keras/) onto stage 1, run
// the four stages, and download model B as a Keras file; then a 64x64x3 Keras model
// whose built-in task-B images get resized to its input. Needs $E2E_BASE_URL and
// $CHROMIUM_PATH (scripts/test.sh provides both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBrowser, openPage, shot, waitView, waitReady } from './helpers.mjs';

const FIX = 'tests/fixtures/keras';
const browser = useBrowser();
const open = (hash) => openPage(browser.get(), hash);

/**
 * Picks a model file in stage 1 (a fixture by name, or given bytes); resolves to the
 * next status message: its key, or for an error its code and text.
 */
async function loadModel(page, name, bytes = readFileSync(join(FIX, name))) {
  const seq = Number(await page.getAttribute('#status', 'data-seq'));
  await page.setInputFiles('#model-files', { name, mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction((n) => Number(document.querySelector('#status').dataset.seq) > n, seq, { timeout: 60_000 });
  return page.evaluate(() => { const s = document.querySelector('#status'); return s.dataset.key || `${s.dataset.code}: ${s.textContent}`; });
}

test('a Keras-made my_model_A.h5 goes through the four stages and B downloads as .keras', { timeout: 600_000 }, async () => {
  const { page, errors } = await open('#ep3=2&ep4=1&seed=3');
  const status = await loadModel(page, 'my_model_A.tf_keras.h5');
  assert.equal(status, 's1.loaded');
  assert.equal(await page.getAttribute('#a-info', 'data-input-shape'), '28x28x1');
  assert.equal(await page.getAttribute('#a-info', 'data-source'), 'own');
  assert.equal(await page.locator('#a-summary tbody tr').count(), 7);
  await page.click('#run-1');
  await page.waitForSelector('#fp-clone');
  assert.equal(await page.textContent('#fp-clone'), await page.textContent('#fp-a-before'));
  await page.click('#run-2');
  await page.waitForSelector('#b-layers table');
  await page.click('#run-3');
  await waitView(page, 3);
  assert.equal(await page.getAttribute('#frozen-fp', 'data-same'), 'true');
  await page.click('#run-4');
  await waitView(page, 4);
  const acc = Number(await page.getAttribute('#final', 'data-value'));
  assert.ok(acc >= 0 && acc <= 1, `test accuracy ${acc}`);
  assert.equal(await page.getAttribute('#a-check', 'data-untouched'), 'true');
  await shot(page, 'keras-stage-4', '#stage-4');
  // Model B as a Keras 3 archive: a zip holding config.json and model.weights.h5.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-download="b"][data-format="keras"]')]);
  assert.equal(download.suggestedFilename(), 'model_B_on_A.keras');
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(bytes.includes(Buffer.from('config.json')) && bytes.includes(Buffer.from('model.weights.h5')));
  const [h5] = await Promise.all([page.waitForEvent('download'), page.click('button[data-download="b"][data-format="h5"]')]);
  assert.deepEqual([...readFileSync(await h5.path()).subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  // B's .keras, loaded as a new model A: its class names come with it and are shown
  // (the Keras-made .h5 had none).
  assert.equal(await page.getAttribute('#a-info', 'data-class-names'), '');
  assert.equal(await loadModel(page, 'model_B_on_A.keras', bytes), 's1.loaded');
  assert.equal(await page.getAttribute('#a-info', 'data-class-names'), JSON.stringify(['sandal', 'shirt']));
  assert.match(await page.textContent('#a-info'), /its classes: sandal, shirt/);
  // Saved with them: after a reload the restored A still has its names.
  await page.reload();
  await waitReady(page);
  assert.equal(await page.getAttribute('#a-info', 'data-class-names'), JSON.stringify(['sandal', 'shirt']));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 64x64x3 Keras model: the built-in 28x28 grayscale images are resized to its input', { timeout: 300_000 }, async () => {
  const { page, errors } = await open('#ep3=1&n=64');
  const status = await loadModel(page, 'rgb_bn.keras');
  assert.equal(status, 's1.loaded');
  assert.equal(await page.getAttribute('#a-info', 'data-input-shape'), '64x64x3');
  await page.click('#run-3'); // runs stages 1 and 2 first
  await waitView(page, 3);
  assert.equal(await page.getAttribute('#stage-1', 'data-state'), 'fresh');
  assert.equal(await page.getAttribute('#stage-2', 'data-state'), 'fresh');
  const acc = Number(await page.getAttribute('#view-3 .test-acc', 'data-value'));
  assert.ok(acc >= 0 && acc <= 1, `test accuracy ${acc}`);
  // Back to the built-in A with the radio: A and its task accuracy are back, and the
  // stage-3 result (from the other A) is out of date.
  await page.check('input[name="source"][value="builtin"]');
  await page.waitForSelector('#a-info[data-source="builtin"]');
  assert.equal(await page.getAttribute('#a-info', 'data-input-shape'), '28x28x1');
  assert.equal(await page.getAttribute('#stage-3', 'data-state'), 'stale');
  // And to the learner's A again, without picking the file again.
  await page.check('input[name="source"][value="own"]');
  await page.waitForSelector('#a-info[data-source="own"]');
  assert.equal(await page.getAttribute('#a-info', 'data-input-shape'), '64x64x3');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unsupported or corrupt Keras file gets a message that names the problem', { timeout: 120_000 }, async () => {
  const { page } = await open('');
  // The engine's own words name the problem (shown as the detail after the page's headline).
  for (const [name, bytes, words] of [
    ['broken.h5', readFileSync(join(FIX, 'my_model_A.h5')).subarray(0, 3000), /truncated|corrupt/i],
    ['notes.h5', Buffer.from('hello, not a model'), /not an HDF5/i],
    ['refuse_conv3d.keras', readFileSync(join(FIX, 'refuse_conv3d.keras')), /Conv3D/],
  ]) {
    const shown = await loadModel(page, name, bytes);
    assert.match(shown, words, shown);
    assert.doesNotMatch(shown, /^s1\.loaded/);
  }
  // The built-in model A is still there.
  assert.equal(await page.getAttribute('#a-info', 'data-source'), 'builtin');
  assert.equal(Number(await page.getAttribute('#a-info', 'data-meta-accuracy')).toFixed(4), '0.9491');
  await page.close();
});
