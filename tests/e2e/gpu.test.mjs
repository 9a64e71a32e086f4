// The page on WebGPU (SwiftShader's software adapter in headless Chromium with
// --enable-unsafe-webgpu): the backend label and adapter, stage 3 trained on the GPU in
// the worker with its test accuracy, A's accuracy on its own task and a prediction
// computed on the GPU too, and a device lost mid-training (the test hook destroys it)
// after which the page says so and training and the test accuracy finish on the CPU. Where Chromium has no WebGPU adapter the
// test prints `SKIP: no WebGPU adapter` and checks the page's CPU fallback note instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8137').replace(/\/$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ART = 'test-artifacts';
const ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', '--enable-unsafe-webgpu'];
const LONG = 300_000;

let context;
before(async () => {
  mkdirSync(ART, { recursive: true });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tp-e2e-gpu-')), {
    executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 },
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

test('on WebGPU the test accuracy, A\'s accuracy on its own task and a prediction are computed on the GPU', { timeout: 600_000 }, async () => {
  // One epoch on 64 images: the software adapter is slow, and the backend is the point.
  const { page, errors } = await open('#ep3=1&n=64&seed=7&be=webgpu');
  const active = await page.getAttribute('#backend-box', 'data-backend');
  if (active !== 'webgpu') {
    console.log(`SKIP: no WebGPU adapter (${await page.textContent('#backend-note')}) -- WebGPU evaluation NOT checked`);
    return;
  }
  // A's accuracy on its own task, measured at load time where training runs.
  assert.equal(await page.getAttribute('#a-info', 'data-task-backend'), 'webgpu');
  const info = await page.textContent('#a-info');
  const taskAcc = Number(info.match(/measured now on 1000 of them: (\d\.\d{4}) \(computed on WebGPU\)/)?.[1]);
  console.log(`A on its own task, on WebGPU: ${taskAcc}`);
  // The CPU measures 0.9490; a rounding difference may move an example near the boundary.
  assert.ok(Math.abs(taskAcc - 0.949) <= 0.002, info);

  await page.click('#run-3');
  await page.waitForSelector('#view-3[data-status="done"]', { timeout: LONG });
  assert.equal(await page.locator('#log-3 li:not(.fallback)').count(), 1);
  assert.equal(await page.getAttribute('#view-3 .test-acc', 'data-backend'), 'webgpu');
  assert.match(await page.textContent('#result-3'), /computed on WebGPU/);
  const acc = Number(await page.getAttribute('#view-3 .test-acc', 'data-value'));
  // The same run on the CPU: the same figure, up to the two backends' rounding.
  const cpu = await open('#ep3=1&n=64&seed=7&be=cpu');
  await cpu.page.click('#run-3');
  await cpu.page.waitForSelector('#view-3[data-status="done"]', { timeout: LONG });
  assert.equal(await cpu.page.getAttribute('#view-3 .test-acc', 'data-backend'), 'cpu');
  const cpuAcc = Number(await cpu.page.getAttribute('#view-3 .test-acc', 'data-value'));
  console.log(`stage 3 test accuracy: ${acc} on WebGPU, ${cpuAcc} on the CPU`);
  assert.ok(Math.abs(acc - cpuAcc) <= 0.005, `test accuracy ${acc} on WebGPU, ${cpuAcc} on the CPU`);
  assert.deepEqual(cpu.errors, []);
  await cpu.page.close();

  await page.click('#pred-run');
  await page.waitForFunction(() => document.querySelector('#pred-out')?.dataset.backend);
  assert.equal(await page.getAttribute('#pred-out', 'data-backend'), 'webgpu');
  assert.match(await page.textContent('#pred-out'), /P\(shirt\) = \d\.\d{4}.*computed on WebGPU/);
  assert.equal(await page.isHidden('#backend-note'), true);
  assert.deepEqual(errors, []);
});

test('stage 3 on WebGPU; a lost device mid-training finishes on the CPU, and the page says so', { timeout: 600_000 }, async () => {
  const { page, errors } = await open('#ep3=3&seed=7&be=webgpu');
  assert.equal(await page.inputValue('#be'), 'webgpu');
  const active = await page.getAttribute('#backend-box', 'data-backend');
  if (active !== 'webgpu') {
    console.log(`SKIP: no WebGPU adapter (${await page.textContent('#backend-note')}) -- WebGPU page test NOT run`);
    assert.equal(await page.isVisible('#backend-note'), true, 'the CPU fallback is visible');
    return;
  }
  assert.match(await page.textContent('#backend'), /WebGPU/);
  const adapter = await page.textContent('#gpu-name');
  console.log(`adapter label: ${adapter}`);
  assert.ok(adapter.trim().length > 2, 'the adapter is named');
  assert.equal(await page.isHidden('#backend-note'), true);

  await page.click('#run-3');
  // Into epoch 2 on the GPU (batch lines say the batch went to the GPU), then lose it.
  await page.waitForFunction(() => /2\/3/.test(document.querySelector('#batch-3')?.textContent || '') && /GPU/.test(document.querySelector('#batch-3')?.textContent || ''), null, { timeout: LONG });
  assert.equal(await page.evaluate(() => window.__playground.simulateDeviceLoss()), true);
  await page.waitForSelector('#view-3[data-status="done"]', { timeout: LONG });

  // The page says what happened, and now shows the CPU.
  const log = await page.textContent('#log-3');
  assert.match(log, /GPU was lost during training/);
  assert.match(log, /goes on on the CPU from epoch 2, batch \d/);
  assert.match(await page.textContent('#backend'), /CPU/);
  assert.equal(await page.isVisible('#backend-note'), true);
  assert.match(await page.textContent('#backend-note'), /lost/);
  // All 3 epochs trained (one line each besides the fallback line), a test accuracy,
  // and the frozen base unchanged.
  assert.equal(await page.locator('#log-3 li:not(.fallback)').count(), 3);
  const acc = Number(await page.getAttribute('#view-3 .test-acc', 'data-value'));
  assert.ok(acc > 0.5 && acc <= 1, `test accuracy ${acc}`);
  // With the device gone, the test accuracy was computed on the CPU too.
  assert.equal(await page.getAttribute('#view-3 .test-acc', 'data-backend'), 'cpu');
  assert.equal(await page.getAttribute('#frozen-fp', 'data-same'), 'true');
  await page.locator('#stage-3').screenshot({ path: `${ART}/stage-3-gpu-lost.png` });

  // Switching to the CPU is stored in the URL hash.
  await page.selectOption('#be', 'cpu');
  await page.waitForFunction(() => location.hash.includes('be=cpu'));
  assert.deepEqual(errors, []);
});
