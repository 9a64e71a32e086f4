// The language switches live: mid-run, from the menu, with no reload and no lost
// result (every figure and log line stays, the running job goes on); and then no
// English UI string is left on the page: the visible text, aria-labels, titles and
// the tab title are compared with every English value of www/i18n/en.json that
// differs from its Korean one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useBrowser, openPage, shot, waitResult, waitView, testAccuracy } from './helpers.mjs';

const browser = useBrowser();
const en = JSON.parse(readFileSync('www/i18n/en.json', 'utf8'));
const ko = JSON.parse(readFileSync('www/i18n/ko.json', 'utf8'));

/**
 * The English pieces that must not show in Korean: each English value split at its
 * placeholders, keeping pieces with a word of 3+ letters that no Korean value also
 * contains (names such as "WebGPU", and Keras identifiers such as "trainable" in a
 * Korean sentence, are the same in both).
 */
function englishPieces() {
  const pieces = new Set();
  const koAll = Object.values(ko);
  for (const [k, v] of Object.entries(en)) {
    if (v === ko[k]) continue;
    for (let piece of v.split(/\{\w+\}/)) {
      piece = piece.replace(/^[\s.,:;·()"'’“”→\-–—/]+|[\s.,:;·()"'’“”→\-–—/]+$/g, '');
      if (/[A-Za-z]{3}/.test(piece) && !koAll.some((x) => x.includes(piece))) pieces.add(piece);
    }
  }
  return [...pieces];
}

/** The page's text as a learner sees or hears it: visible text nodes, labels, titles. */
function visibleText(page) {
  return page.evaluate(() => {
    const out = [document.title];
    const skip = (el) => el.closest('[translate="no"], script, style') || !el.checkVisibility();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent.trim() && !skip(n.parentElement)) out.push(n.textContent.trim());
    }
    for (const el of document.querySelectorAll('[aria-label], [title], img[alt], option')) {
      if (el.closest('[translate="no"]')) continue;
      for (const a of ['aria-label', 'title', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
      if (el.tagName === 'OPTION') out.push(el.textContent);
    }
    return out;
  });
}

test('switching to Korean mid-run keeps every result, and no English UI text is left', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#ep3=1&ep4=1&n=40&seed=3&be=cpu');
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  const acc3 = await testAccuracy(page, 3);
  const acc4 = await testAccuracy(page, 4);
  const logLines = await page.locator('#log-3 li, #log-4 li').count();
  const fp = await page.textContent('#fp-clone');
  // From scratch, with enough epochs to switch while it runs.
  await page.fill('#ep4', '8');
  await page.press('#ep4', 'Tab');
  await page.click('#run-5');
  await page.waitForSelector('#view-5[data-status="running"]');
  await page.selectOption('#lang', 'ko');

  // At once: Korean, the menu says so, nothing reloaded, the status line is not "loading".
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.equal(await page.inputValue('#lang'), 'ko');
  assert.notEqual(await page.getAttribute('#status', 'data-key'), 'loading');
  assert.equal(await page.title(), ko.tabTitle);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true');
  assert.match(await page.evaluate(() => location.hash), /lang=ko/);
  // Every result is still there: the same numbers, the same log.
  assert.equal(await testAccuracy(page, 3), acc3);
  assert.equal(await testAccuracy(page, 4), acc4);
  assert.equal(await page.locator('#log-3 li, #log-4 li').count(), logLines);
  assert.equal(await page.textContent('#fp-clone'), fp);
  for (const s of ['#stage-1', '#stage-2', '#stage-3']) assert.equal(await page.getAttribute(s, 'data-state'), 'fresh', s);
  // The run goes on and finishes, in Korean.
  await waitView(page, 5);
  assert.match(await page.textContent('#log-5'), /에포크 8\/9/);

  // A prediction, so its line is on the page too, and the class names are Korean.
  await page.click('#pred-run');
  await page.waitForSelector('#pred-out[data-p]');
  assert.match(await page.textContent('#pred-out'), /셔츠|샌들/);
  const pieces = englishPieces();
  assert.ok(pieces.length > 200, `${pieces.length} English pieces to look for`);
  const text = await visibleText(page);
  const found = [];
  for (const piece of pieces) {
    const re = new RegExp(`(^|[^A-Za-z])${piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z])`);
    const hit = text.find((t) => re.test(t));
    if (hit) found.push(`"${piece}" in "${hit.slice(0, 80)}"`);
  }
  assert.deepEqual(found, [], 'English UI text on the Korean page');
  await shot(page, 'page-ko');

  // And back to English, live again.
  await page.selectOption('#lang', 'en');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#h4 [data-i18n]'), en['s4.title']);
  assert.equal(await testAccuracy(page, 4), acc4);
  assert.deepEqual(errors, []);
});

test('an engine error in Korean: a Korean headline, the engine\'s English detail after it', { timeout: 60_000 }, async () => {
  const { page } = await openPage(browser.get(), '#lang=ko');
  const seq = Number(await page.getAttribute('#status', 'data-seq'));
  await page.setInputFiles('#model-files', { name: 'notes.h5', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, not a model') });
  await page.waitForFunction((n) => Number(document.querySelector('#status').dataset.seq) > n, seq);
  const code = await page.getAttribute('#status', 'data-code');
  const text = await page.textContent('#status');
  // Today's engine gives free text (ENGINE); a Contract 1 engine gives FORMAT. Either way
  // the headline is the Korean text of that code, and the detail is the engine's.
  assert.ok(['ENGINE', 'FORMAT'].includes(code), code);
  assert.ok(text.startsWith(ko[`err.${code}`]), text);
  assert.match(text, /HDF5/);
});
