// Results keep their promises: each one is marked out of date the moment a setting it
// came from changes (no ✓, dimmed, a note naming the setting and its old and new
// values), stage 4 always starts from the end of stage 3 (so running it twice gives
// the same accuracy), and the comparison says when its two runs differ. Small budgets
// on the CPU: the numbers are compared with each other, not with the lecture's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, openPage, shot, waitResult, testAccuracy } from './helpers.mjs';

const browser = useBrowser();
const state = (page, sel) => page.getAttribute(sel, 'data-state');

test('a changed image count marks stage 4 and the comparison out of date; stage 4 twice gives the same accuracy', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#ep3=1&ep4=2&lr4=0.05&n=60&seed=5&be=cpu');
  await page.click('#run-4'); // runs stages 1, 2 and 3 first
  await waitResult(page, 'stage4');
  for (const s of ['#stage-1', '#stage-2', '#stage-3']) assert.equal(await state(page, s), 'fresh', s);
  const acc1 = await testAccuracy(page, 4);
  const log1 = await page.textContent('#log-4');
  const stage3Id = await page.getAttribute('#stage-3', 'data-result-id');
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  assert.equal(await page.getAttribute('#cmp-result', 'data-state'), 'fresh');
  assert.equal(Number(await page.getAttribute('#cmp-result', 'data-transfer')), acc1);
  // The ✓ is drawn for a current result only.
  const check = await page.evaluate(() => getComputedStyle(document.querySelector('#h4'), '::after').content);
  assert.match(check, /✓/);

  // Stage 4 again: it starts from the end of stage 3 (not from its own end), so the
  // same run gives the same accuracy and the same epochs (a learning rate large enough
  // that continuing from the end would show); stage 3 is not re-run.
  await page.click('#run-4');
  await page.waitForSelector('#view-4[data-status="running"]');
  await waitResult(page, 'stage4');
  const acc2 = await testAccuracy(page, 4);
  console.log(`stage 4 test accuracy: ${acc1}, then ${acc2}`);
  assert.equal(acc2, acc1);
  assert.equal(await page.textContent('#log-4'), log1);
  assert.equal(await page.locator('#log-4 li:not(.warning):not(.fallback)').count(), 2);
  assert.equal(await page.getAttribute('#stage-3', 'data-result-id'), stage3Id);

  // Fewer training images: every result trained on 60 is out of date, and says why.
  await page.fill('#n', '30');
  await page.press('#n', 'Tab');
  await page.waitForFunction(() => location.hash.includes('n=30'));
  for (const s of ['#stage-3', '#stage-4', '#compare']) assert.equal(await state(page, s), 'stale', s);
  for (const s of ['#stage-1', '#stage-2']) assert.equal(await state(page, s), 'fresh', `${s} does not use the images`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#h4'), '::after').content), 'none');
  const note4 = page.locator('[data-stale-for="stage4"]');
  assert.ok(await note4.isVisible());
  assert.equal(await note4.getAttribute('data-reasons'), 'setting:n');
  assert.match(await note4.textContent(), /Training images 60 → 30/);
  assert.equal(await page.getAttribute('#cmp-result', 'data-state'), 'stale');
  const dim = await page.evaluate(() => Number(getComputedStyle(document.querySelector('#stage-4 .figures')).opacity));
  assert.ok(dim < 1, `stale figures are dimmed (opacity ${dim})`);
  await shot(page, 'stale-stage-4', '#stage-4');

  // Stage 3 again on 30 images: stage 4 is still out of date (its stage 3 was re-run).
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  assert.equal(await state(page, '#stage-4'), 'stale');
  assert.equal(await note4.getAttribute('data-reasons'), 'setting:n,upstream:stage3');
  // From scratch on 30 images, against the transfer run on 60: said to be unfair.
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  assert.equal(await page.getAttribute('#cmp-result', 'data-state'), 'mismatch');
  assert.ok(await page.isVisible('#cmp-note'));
  assert.match(await page.textContent('#cmp-note'), /Training images: 60 \(transfer learning\) vs 30 \(from scratch\)/);
  await shot(page, 'compare-mismatch', '#compare');
  // Stage 4 on 30 images: everything current again, side by side.
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  assert.equal(await page.getAttribute('#cmp-result', 'data-state'), 'fresh');
  assert.ok(await page.isHidden('#cmp-note'));
  assert.deepEqual(errors, []);
});
