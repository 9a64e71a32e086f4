// Keras interop through the page, as a teacher would use it: drop a model A saved by
// real Keras (`model.save('my_model_A.h5')`, tests/fixtures/keras/) onto stage 1, run
// the four stages, and download model B as a Keras file; then a 64x64x3 Keras model
// whose built-in task-B images get resized to its input. Needs $E2E_BASE_URL and
// $CHROMIUM_PATH (scripts/test.sh provides both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8137').replace(/\/$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ART = 'test-artifacts';
const ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const LONG = 240_000;
const FIX = 'tests/fixtures/keras';

let context;
before(async () => {
  mkdirSync(ART, { recursive: true });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tp-e2e-keras-')), {
    executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true,
  });
});
after(async () => { await context?.close(); });

async function open(hash) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${BASE}/index.html${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return { page, errors };
}

async function loadModel(page, file) {
  await page.setInputFiles('#model-files', { name: file, mimeType: 'application/octet-stream', buffer: readFileSync(join(FIX, file)) });
  await page.waitForFunction((n) => (document.querySelector('#status')?.textContent || '').includes('Loaded') || (document.querySelector('#status')?.textContent || '').includes('error'), file, { timeout: 60_000 });
  return page.textContent('#status');
}

test('a Keras-made my_model_A.h5 goes through the four stages and B downloads as .keras', { timeout: 600_000 }, async () => {
  const { page, errors } = await open('#ep3=2&ep4=1&seed=3');
  const status = await loadModel(page, 'my_model_A.tf_keras.h5');
  assert.match(status, /Loaded/, status);
  assert.match(await page.textContent('#a-info'), /28×28×1/);
  assert.equal(await page.locator('#a-summary tbody tr').count(), 7);
  await page.click('#run-1');
  await page.waitForSelector('#fp-clone');
  assert.equal(await page.textContent('#fp-clone'), await page.textContent('#fp-a-before'));
  await page.click('#run-2');
  await page.waitForSelector('#b-layers table');
  await page.click('#run-3');
  await page.waitForSelector('#view-3[data-status="done"]', { timeout: LONG });
  assert.equal(await page.getAttribute('#frozen-fp', 'data-same'), 'true');
  await page.click('#run-4');
  await page.waitForSelector('#view-4[data-status="done"]', { timeout: LONG });
  const acc = Number(await page.getAttribute('#final', 'data-value'));
  assert.ok(acc >= 0 && acc <= 1, `test accuracy ${acc}`);
  assert.equal(await page.getAttribute('#a-check', 'data-untouched'), 'true');
  await page.locator('#stage-4').screenshot({ path: `${ART}/keras-stage-4.png` });
  // Model B as a Keras 3 archive: a zip holding config.json and model.weights.h5.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-download="b"][data-format="keras"]')]);
  assert.equal(download.suggestedFilename(), 'model_B_on_A.keras');
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(bytes.includes(Buffer.from('config.json')) && bytes.includes(Buffer.from('model.weights.h5')));
  const [h5] = await Promise.all([page.waitForEvent('download'), page.click('button[data-download="b"][data-format="h5"]')]);
  assert.deepEqual([...readFileSync(await h5.path()).subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 64x64x3 Keras model: the built-in 28x28 grayscale images are resized to its input', { timeout: 300_000 }, async () => {
  const { page, errors } = await open('#ep3=1&n=64');
  const status = await loadModel(page, 'rgb_bn.keras');
  assert.match(status, /Loaded/, status);
  assert.match(await page.textContent('#a-info'), /64×64×3/);
  await page.click('#run-3'); // runs stages 1 and 2 first
  await page.waitForSelector('#view-3[data-status="done"]', { timeout: LONG });
  const acc = Number(await page.getAttribute('#view-3', 'data-test-accuracy') ?? NaN);
  assert.ok(Number.isNaN(acc) || (acc >= 0 && acc <= 1));
  assert.deepEqual(errors, []);
  await page.close();
});

test('an unsupported or corrupt Keras file gets a message that names the problem', { timeout: 120_000 }, async () => {
  const { page } = await open('');
  await page.setInputFiles('#model-files', { name: 'broken.h5', mimeType: 'application/octet-stream', buffer: readFileSync(join(FIX, 'my_model_A.h5')).subarray(0, 3000) });
  await page.waitForFunction(() => /truncated|corrupt/i.test(document.querySelector('#status')?.textContent || ''), null, { timeout: 60_000 });
  await page.setInputFiles('#model-files', { name: 'notes.h5', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, not a model') });
  await page.waitForFunction(() => /not an HDF5/i.test(document.querySelector('#status')?.textContent || ''), null, { timeout: 60_000 });
  await page.setInputFiles('#model-files', { name: 'refuse_conv3d.keras', mimeType: 'application/octet-stream', buffer: readFileSync(join(FIX, 'refuse_conv3d.keras')) });
  await page.waitForFunction(() => /Conv3D/.test(document.querySelector('#status')?.textContent || ''), null, { timeout: 60_000 });
  // The built-in model A is still there.
  assert.match(await page.textContent('#a-info'), /0\.9491/);
  await page.close();
});
