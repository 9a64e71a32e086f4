// The page on WebGPU (SwiftShader's software adapter in headless Chromium with
// --enable-unsafe-webgpu): the backend label and adapter, stage 3 trained on the GPU in
// the worker with its test accuracy, A's accuracy on its own task and a prediction
// computed on the GPU too, and a device lost mid-training (the test hook destroys it)
// after which the page says so and training and the test accuracy finish on the CPU.
// Where Chromium has no WebGPU adapter the tests are skipped (t.skip, counted in the
// summary) after checking the page's CPU fallback note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LONG, useBrowser, openPage, shot, waitView, testAccuracy } from './helpers.mjs';

const browser = useBrowser({ webgpu: true });
const open = (hash) => openPage(browser.get(), hash);

/** Skips the test, visibly, when the page found no WebGPU adapter. */
async function skipWithoutGpu(t, page, what) {
  if (await page.getAttribute('#backend-box', 'data-backend') === 'webgpu') return false;
  t.skip(`no WebGPU adapter (${await page.textContent('#backend-note')}): ${what} NOT checked`);
  return true;
}

test('on WebGPU the test accuracy, A\'s accuracy on its own task and a prediction are computed on the GPU', { timeout: 600_000 }, async (t) => {
  // One epoch on 64 images: the software adapter is slow, and the backend is the point.
  const { page, errors } = await open('#ep3=1&n=64&seed=7&be=webgpu');
  if (await skipWithoutGpu(t, page, 'WebGPU evaluation')) return;
  // A's accuracy on its own task, measured at load time where training runs.
  assert.equal(await page.getAttribute('#a-info', 'data-task-backend'), 'webgpu');
  const taskAcc = Number(await page.getAttribute('#a-info', 'data-task-accuracy'));
  console.log(`A on its own task, on WebGPU: ${taskAcc}`);
  // The CPU measures 0.9490; a rounding difference may move an example near the boundary.
  assert.ok(Math.abs(taskAcc - 0.949) <= 0.002, String(taskAcc));

  await page.click('#run-3');
  await waitView(page, 3);
  assert.equal(await page.locator('#log-3 li:not(.fallback)').count(), 1);
  assert.equal(await page.getAttribute('#view-3 .test-acc', 'data-backend'), 'webgpu');
  const acc = await testAccuracy(page, 3);
  // The same run on the CPU: the same figure, up to the two backends' rounding.
  const cpu = await open('#ep3=1&n=64&seed=7&be=cpu');
  await cpu.page.click('#run-3');
  await waitView(cpu.page, 3);
  assert.equal(await cpu.page.getAttribute('#view-3 .test-acc', 'data-backend'), 'cpu');
  const cpuAcc = await testAccuracy(cpu.page, 3);
  console.log(`stage 3 test accuracy: ${acc} on WebGPU, ${cpuAcc} on the CPU`);
  assert.ok(Math.abs(acc - cpuAcc) <= 0.005, `test accuracy ${acc} on WebGPU, ${cpuAcc} on the CPU`);
  assert.deepEqual(cpu.errors, []);
  await cpu.page.close();

  await page.click('#pred-run');
  await page.waitForFunction(() => document.querySelector('#pred-out')?.dataset.backend);
  assert.equal(await page.getAttribute('#pred-out', 'data-backend'), 'webgpu');
  const p = Number(await page.getAttribute('#pred-out', 'data-p'));
  assert.ok(p >= 0 && p <= 1, `P(class 1) = ${p}`);
  assert.equal(await page.isHidden('#backend-note'), true);
  assert.deepEqual(errors, []);
});

test('stage 3 on WebGPU; a lost device mid-training finishes on the CPU, and the page says so', { timeout: 600_000 }, async (t) => {
  const { page, errors } = await open('#ep3=3&seed=7&be=webgpu');
  assert.equal(await page.inputValue('#be'), 'webgpu');
  if (await page.getAttribute('#backend-box', 'data-backend') !== 'webgpu') {
    assert.equal(await page.isVisible('#backend-note'), true, 'the CPU fallback is visible');
  }
  if (await skipWithoutGpu(t, page, 'the WebGPU page test')) return;
  const adapter = await page.textContent('#gpu-name');
  console.log(`adapter label: ${adapter}`);
  assert.ok(adapter.trim().length > 2, 'the adapter is named');
  assert.equal(await page.isHidden('#backend-note'), true);

  await page.click('#run-3');
  // Into epoch 2 on the GPU (batch lines say the batch went to the GPU), then lose it.
  // Lose it while the run is on the GPU. (On SwiftShader the worker's progress events
  // can arrive in one burst at the end, so this waits for the run, not for an epoch.)
  await page.waitForSelector('#view-3[data-status="running"]', { timeout: LONG });
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.__playground.simulateDeviceLoss()), true);
  await waitView(page, 3);

  // The page says what happened (with the engine's report), and now shows the CPU.
  assert.equal(await page.locator('#log-3 li.fallback').count(), 1);
  assert.match(await page.textContent('#log-3 li.fallback'), /goes on on the CPU from epoch \d, batch \d/);
  assert.equal(await page.getAttribute('#backend-box', 'data-backend'), 'cpu');
  assert.equal(await page.isVisible('#backend-note'), true);
  assert.equal(await page.getAttribute('#backend-note', 'data-code'), 'GPU_UNAVAILABLE');
  // All 3 epochs trained (one line each besides the fallback line), a test accuracy,
  // and the frozen base unchanged.
  assert.equal(await page.locator('#log-3 li:not(.fallback)').count(), 3);
  const acc = await testAccuracy(page, 3);
  assert.ok(acc > 0.5 && acc <= 1, `test accuracy ${acc}`);
  // With the device gone, the test accuracy was computed on the CPU too.
  assert.equal(await page.getAttribute('#view-3 .test-acc', 'data-backend'), 'cpu');
  assert.equal(await page.getAttribute('#frozen-fp', 'data-same'), 'true');
  await shot(page, 'stage-3-gpu-lost', '#stage-3');

  // Switching to the CPU is stored in the URL hash.
  await page.selectOption('#be', 'cpu');
  await page.waitForFunction(() => location.hash.includes('be=cpu'));
  assert.deepEqual(errors, []);
});
