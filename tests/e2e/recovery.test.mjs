// A failed engine is replaced, not reused: a trap simulated in the worker (the
// engine's __panicForTest() where it has one, else a WebAssembly.RuntimeError thrown
// inside a command) makes the page start a fresh worker, restore the saved project in
// it and say what happened, in the page's language; the models work as before (same
// prediction, stage 4 from the restored snapshot). A trap during training stops that
// run with a message, and the stage can be run again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useBrowser, openPage, shot, waitResult, waitView, testAccuracy } from './helpers.mjs';

const browser = useBrowser();
const ko = JSON.parse(readFileSync('www/i18n/ko.json', 'utf8'));

async function predict(page) {
  await page.evaluate(() => document.querySelector('#pred-out').removeAttribute('data-p'));
  await page.click('#pred-run');
  await page.waitForSelector('#pred-out[data-p]');
  return page.getAttribute('#pred-out', 'data-p');
}

test('a trap in the worker is recovered from: fresh engine, project restored, message shown', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#ep3=1&ep4=1&lr4=0.05&n=40&seed=4&be=cpu&lang=ko');
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  const acc4 = await testAccuracy(page, 4);
  const p = await predict(page);

  const code = await page.evaluate(() => window.__playground.simulateTrap());
  assert.ok(['TRAPPED', 'PANICKED'].includes(code), code);
  await page.waitForSelector('#engine-note[data-event="replaced"]', { timeout: 120_000 });
  assert.ok(await page.isVisible('#engine-note'));
  assert.equal(await page.getAttribute('#engine-note', 'data-code'), code);
  const note = await page.textContent('#engine-note');
  assert.ok(note.startsWith(ko['engine.replaced'].split('{')[0]), note);
  await shot(page, 'engine-replaced', 'header');

  // The fresh engine holds the restored models: the same prediction, and stage 4
  // (from the restored post-stage-3 snapshot) gives the same accuracy again.
  assert.equal(await predict(page), p);
  for (const s of ['#stage-3', '#stage-4']) assert.equal(await page.getAttribute(s, 'data-state'), 'fresh', s);
  await page.click('#run-4');
  await page.waitForSelector('#view-4[data-status="running"]');
  await waitResult(page, 'stage4');
  assert.equal(await testAccuracy(page, 4), acc4);
  assert.deepEqual(errors, []);
});

test('a trap during training stops that run with a message; the stage runs again', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#ep3=1&ep4=40&n=40&seed=4&be=cpu');
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  await page.click('#run-4');
  await page.waitForFunction(() => Number(document.querySelector('#prog-4')?.value) >= 3);
  await page.evaluate(() => window.__playground.simulateTrap());
  await waitView(page, 4, 'error');
  await page.waitForSelector('#engine-note[data-event="replaced"]', { timeout: 120_000 });
  assert.ok((await page.textContent('#result-4')).length > 0, 'the stopped run says why');
  // Stage 3's result and its models survived; stage 4 runs again from them.
  assert.equal(await page.getAttribute('#stage-3', 'data-state'), 'fresh');
  await page.fill('#ep4', '1');
  await page.press('#ep4', 'Tab');
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  assert.equal(await page.getAttribute('#stage-3', 'data-state'), 'fresh');
  assert.deepEqual(errors, []);
});
