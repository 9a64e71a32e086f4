// Every setting's input against the table in www/state.js, in both languages: an
// invalid value gets a message beside the input (aria-describedby) that names the
// setting by its label in the page's language, the value is not taken, and the
// message goes once the value is fixed; every valid value goes into the link and
// comes back from it. Plus the data-set bugs: "back to the built-in images" restores
// the count, and a link asking for the learner's images where there are none trains
// nothing and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../www/state.js';
import { useBrowser, openPage, shot, newContext, pngFiles, useOwnImages } from './helpers.mjs';

const browser = useBrowser();
const dict = { en: JSON.parse(readFileSync('www/i18n/en.json', 'utf8')), ko: JSON.parse(readFileSync('www/i18n/ko.json', 'utf8')) };
const NUMERIC = SETTINGS.filter((s) => s.type === 'int' || s.type === 'float');

/** An invalid and a valid value for each numeric setting (n: the 200 built-in images). */
function samples(s) {
  const max = typeof s.max === 'function' ? 200 : s.max;
  const invalid = [String(max * 2 + 1)];
  if (s.type === 'int') invalid.push('2.5');
  if (s.min > 0) invalid.push('0');
  const valid = s.type === 'int' ? String(Math.max(s.min, Math.min(max, 7))) : s.min <= 0.003 ? '0.003' : String(s.min * 1.5);
  return { invalid, valid };
}

for (const lang of ['en', 'ko']) {
  test(`each setting (${lang}): a message naming its label, gone once fixed; valid values round-trip through the link`, { timeout: 180_000 }, async () => {
    const context = await newContext(browser.get());
    const { page, errors } = await openPage(context, `#lang=${lang}`);
    const links = [];
    for (const s of NUMERIC) {
      const label = dict[lang][s.label];
      const input = page.locator(`#${s.key}`);
      assert.equal(await input.getAttribute('aria-describedby'), `msg-${s.key}`);
      const before = await page.evaluate(() => location.hash);
      for (const bad of samples(s).invalid) {
        await input.fill(bad);
        await input.press('Tab');
        const msg = page.locator(`#msg-${s.key}`);
        assert.ok(await msg.isVisible(), `${s.key}=${bad}: a message is shown`);
        const text = await msg.textContent();
        assert.ok(text.includes(label), `${s.key}=${bad}: "${text}" names "${label}"`);
        assert.equal(await input.getAttribute('aria-invalid'), 'true');
        assert.equal(await page.evaluate(() => location.hash), before, `${s.key}=${bad} is not written to the link`);
      }
      const { valid } = samples(s);
      await input.fill(valid);
      assert.ok(await page.locator(`#msg-${s.key}`).isHidden(), `${s.key}: the message goes as soon as the value is fixed`);
      await input.press('Tab');
      assert.equal(await input.getAttribute('aria-invalid'), null);
      await page.waitForFunction(([k, v]) => new URLSearchParams(location.hash.slice(1)).get(k) === v, [s.key, valid]);
      links.push([s.key, valid]);
    }
    await page.selectOption('#be', 'cpu');
    links.push(['be', 'cpu']);
    await shot(page, `settings-${lang}`, '#stage-3');
    // The link reproduces every value: a new page from it shows them in the inputs.
    const hash = await page.evaluate(() => location.hash);
    const other = await openPage(await newContext(browser.get()), hash);
    for (const [key, value] of links) assert.equal(await other.page.inputValue(`#${key}`), value, key);
    assert.ok(await other.page.isHidden('#link-msg'));
    assert.deepEqual(errors, []);
    assert.deepEqual(other.errors, []);
  });
}

test('a link value the table refuses is named, and the default is used', { timeout: 60_000 }, async () => {
  const { page } = await openPage(browser.get(), '#lr3=2&ep3=2.5&lang=ko');
  assert.ok(await page.isVisible('#link-msg'));
  assert.equal(await page.getAttribute('#link-msg', 'data-keys'), 'lr3,ep3');
  const text = await page.textContent('#link-msg');
  assert.ok(text.includes(dict.ko['set.lr3']) && text.includes(dict.ko['set.ep3']), text);
  assert.equal(await page.inputValue('#lr3'), '0.01');
  assert.equal(await page.inputValue('#ep3'), '4');
});

/** Five small PNGs per class, drawn by the browser. */
function pngs(page, count) {
  return pngFiles(page, Array.from({ length: count }, (_, k) => ({
    name: `img-${k}.png`, w: 30 + k, h: 30, background: '#000', rects: [[`rgb(${(k * 40) % 255}, 200, 90)`, 5, 5 + (k % 7), 15, 12]],
  })));
}

test('switching data sets sets the image count to the set; a link for absent own images trains nothing', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#be=cpu');
  const files = await pngs(page, 10);
  await useOwnImages(page, [files.slice(0, 5), files.slice(5)]);
  assert.equal(await page.getAttribute('#own-scenario', 'data-scenario'), 'own');
  assert.equal(await page.inputValue('#n'), '8'); // 10 images, every 5th for validation
  assert.equal(await page.getAttribute('#n', 'max'), '8');
  await page.click('#own-builtin');
  assert.equal(await page.inputValue('#n'), '200');
  assert.equal(await page.getAttribute('#n', 'max'), '200');

  // A fresh browser has none of these images: the link's scenario stays, and says so.
  const fresh = await openPage(browser.get(), '#scenario=own&n=20&ep3=1&be=cpu');
  assert.equal(await fresh.page.getAttribute('#own-scenario', 'data-state'), 'missing');
  const seq = Number(await fresh.page.getAttribute('#status', 'data-seq'));
  await fresh.page.click('#run-3');
  await fresh.page.waitForFunction((n) => Number(document.querySelector('#status').dataset.seq) > n, seq);
  assert.equal(await fresh.page.getAttribute('#status', 'data-code'), 'NO_OWN_IMAGES');
  assert.equal(await fresh.page.getAttribute('#stage-3', 'data-state'), 'none', 'nothing was trained');
  assert.deepEqual(errors, []);
  assert.deepEqual(fresh.errors, []);
});
