// The embed builder (issue 14 item 1), as a teacher uses it: open it from the top bar
// while looking at a stage, choose the section, language, theme, frame size, presenter
// scale and the parts to show, watch the preview follow, copy the iframe code; then the
// copied code, pasted into a page on ANOTHER origin, shows that section in that
// language and theme with exactly the chosen parts hidden, and fits its frame. The
// plain link reproduces the same state; a refused clipboard leaves the code selected
// in view; the builder opens preloaded from the page's own state.
// Screenshots: test-artifacts/embed-builder-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ART, useBrowser, newContext, openPage } from './helpers.mjs';
import { useHost, layoutReport, frameFrom } from './embed-host.mjs';

const browser = useBrowser();
const host = useHost();

/** The builder's preview frame, once its playground is ready and shows `stage` in `lang`. */
async function preview(page, stage, lang) {
  const handle = await page.$('#eb-preview');
  const frame = await handle.contentFrame();
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  await frame.waitForFunction(([s, l]) => document.querySelector(`section[data-view="${s}"]`)?.hidden === false && document.documentElement.lang === l, [stage, lang]);
  return frame;
}

const hiddenIn = (frame, sel) => frame.$eval(sel, (el) => !el.checkVisibility());

test('the copied iframe code, opened from another origin, shows the chosen stage with the chosen parts hidden', { timeout: 300_000 }, async () => {
  const context = await newContext(browser.get(), { viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const { page, errors } = await openPage(context, '#lang=en&ep3=2&ep4=2&n=50&be=cpu');
  // The teacher is on stage 3 and opens the builder from there: it opens on stage 3, in the page's language.
  await page.click('#stage-3 .embed-this');
  await page.waitForSelector('#embed-dialog[open]');
  assert.equal(await page.inputValue('#eb-stage'), '3');
  assert.equal(await page.inputValue('#eb-lang'), 'en');
  assert.match(await page.inputValue('#eb-code'), /#[^"]*stage=3/);
  // Stage 3's parts are offered, stage 4's are not.
  const offered = await page.$$eval('#eb-parts input', (xs) => xs.map((x) => x.dataset.part));
  for (const p of ['lr3', 'ep3', 'n', 'seed', 'code', 'log', 'charts', 'layers', 'fingerprints', 'progress', 'backend']) assert.ok(offered.includes(p), `offers ${p}`);
  assert.ok(!offered.includes('lr4'), 'stage 4 setting not offered for stage 3');

  // The choices: Korean, dark, 1280x720, presenter scale 1.25, no seed, code, log, fingerprints, progress line.
  await page.selectOption('#eb-lang', 'ko');
  await page.selectOption('#eb-theme', 'dark');
  await page.check('input[name="eb-size"][value="1280x720"]');
  const scale = (v) => page.$eval('#eb-scale', (el, x) => { el.value = x; el.dispatchEvent(new Event('input', { bubbles: true })); }, v);
  // Scale 1.5 is more than stage 1 has room for with every part shown: the caption says
  // how much the embed shrank its text to fit; back on stage 3 at 1.25 it need not.
  await page.selectOption('#eb-stage', '1');
  await scale('1.5');
  await preview(page, '1', 'ko');
  await page.waitForFunction(() => Number(document.querySelector('#eb-caption').dataset.fit) < 1, null, { timeout: 10_000 });
  assert.match(await page.textContent('#eb-caption'), /\d+%.*\d+%/);
  await page.selectOption('#eb-stage', '3');
  await scale('1.25');
  const hide = ['seed', 'code', 'log', 'fingerprints', 'progress'];
  for (const p of hide) await page.uncheck(`#eb-parts input[data-part="${p}"]`);
  // The preview follows: stage 3, Korean, the parts hidden, a 1280x720 frame scaled into the dialog.
  const pv = await preview(page, '3', 'ko');
  assert.equal(await pv.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await hiddenIn(pv, '[data-control="seed"]'), true);
  assert.equal(await hiddenIn(pv, '#code-3'), true);
  assert.deepEqual(await page.$eval('#eb-preview', (f) => [f.width, f.height]), ['1280', '720']);
  const shown = await page.$eval('#eb-preview', (f) => f.getBoundingClientRect().width);
  assert.ok(shown < 1280 && shown > 300, `preview scaled to the dialog: ${shown}px wide`);
  await page.screenshot({ path: `${ART}/embed-builder-dialog.png` });

  await page.click('#eb-copy-code');
  await page.waitForSelector('#eb-msg[data-copied="code"]');
  const code = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(code, await page.inputValue('#eb-code'));
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/index\.html#[^"]+" width="1280" height="720" /);
  const src = code.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
  const params = new URLSearchParams(new URL(src).hash.slice(1));
  assert.deepEqual(Object.fromEntries(['stage', 'embed', 'lang', 'theme', 'scale', 'hide', 'ep3'].map((k) => [k, params.get(k)])),
    { stage: '3', embed: '1', lang: 'ko', theme: 'dark', scale: '1.25', hide: hide.join(','), ep3: '2' }, 'the link carries every choice (and the page\'s settings)');

  // The code pasted into a page on another origin.
  const hostUrl = host.page(`<h1>My slide</h1>${code}`);
  assert.notEqual(new URL(hostUrl).origin, new URL(BASE).origin);
  const slide = await context.newPage();
  const slideErrors = [];
  slide.on('pageerror', (e) => slideErrors.push(String(e)));
  slide.on('console', (m) => { if (m.type() === 'error') slideErrors.push(m.text()); });
  await slide.goto(hostUrl);
  const frame = await frameFrom(slide, BASE);
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  assert.equal(await frame.evaluate(() => document.documentElement.lang), 'ko');
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await frame.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--scale').trim()), '1.25');
  assert.deepEqual(await frame.evaluate(() => [innerWidth, innerHeight]), [1280, 720]);
  assert.deepEqual(await frame.$$eval('section.stage', (ss) => ss.filter((s) => s.checkVisibility()).map((s) => s.dataset.view)), ['3']);
  for (const sel of ['[data-control="seed"]', '#code-3', '#log-3', '#frozen-fp', '#batch-3']) assert.equal(await hiddenIn(frame, sel), true, `${sel} hidden`);
  for (const sel of ['[data-control="lr3"]', '[data-control="n"]', '#loss-3', '#run-3', '[data-control="backend"]']) assert.equal(await hiddenIn(frame, sel), false, `${sel} shown`);
  // The code tab is gone with the code; the layers tab stays.
  assert.equal(await hiddenIn(frame, '[data-tabs-for="3"] [data-tab="code"]'), true);
  assert.equal(await hiddenIn(frame, '[data-tabs-for="3"] [data-tab="layers"]'), false);
  // It runs there, and fits its frame while it does and after.
  await frame.click('#run-3');
  await frame.waitForSelector('#view-3[data-status="done"]', { timeout: 300_000 });
  const r = await layoutReport(frame);
  assert.ok(r.scrollWidth <= 1280 && r.scrollHeight <= 720, `${r.scrollWidth}x${r.scrollHeight}`);
  assert.deepEqual(r.problems, []);
  await slide.screenshot({ path: `${ART}/embed-builder-other-origin.png`, fullPage: true });
  assert.deepEqual(slideErrors, []);

  // The plain link: the same state, opened on its own.
  await page.click('#eb-copy-link');
  await page.waitForSelector('#eb-msg[data-copied="link"]');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, src);
  const alone = await context.newPage();
  await alone.setViewportSize({ width: 960, height: 540 });
  await alone.goto(link);
  await alone.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  assert.equal(await alone.evaluate(() => document.body.classList.contains('embed')), true);
  assert.equal(await hiddenIn(alone.mainFrame(), '#code-3'), true);
  assert.equal(await alone.evaluate(() => document.documentElement.lang), 'ko');

  // A custom size.
  await page.check('input[name="eb-size"][value="custom"]');
  await page.fill('#eb-w', '800');
  await page.fill('#eb-h', '600');
  await page.waitForFunction(() => /width="800" height="600"/.test(document.querySelector('#eb-code').value));
  assert.deepEqual(await page.$eval('#eb-preview', (f) => [f.width, f.height]), ['800', '600']);
  // Closing the dialog ends the preview's engine.
  await page.click('#eb-close');
  await page.waitForSelector('#embed-dialog:not([open])', { state: 'attached' });
  await page.waitForFunction(() => document.querySelector('#eb-preview').getAttribute('src') === 'about:blank');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the builder opens preloaded from the page\'s state; a refused clipboard leaves the code selected, with a note', { timeout: 180_000 }, async () => {
  // No clipboard here: writeText is refused, as in an insecure or locked-down page.
  const init = () => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new DOMException('refused', 'NotAllowedError')) } });
  };
  const { page, errors, context } = await openPage(browser.get(), '#stage=4&lang=ko&theme=dark&scale=1.25&hide=log,what', { init });
  // A link's stage, then the section the teacher last worked in, is where the top bar's button opens.
  await page.click('#open-embed');
  await page.waitForSelector('#embed-dialog[open]');
  assert.equal(await page.inputValue('#eb-stage'), '4');
  await page.click('#eb-close');
  await page.click('#h5');
  await page.click('#open-embed');
  await page.waitForSelector('#embed-dialog[open]');
  assert.equal(await page.inputValue('#eb-stage'), 'compare');
  assert.equal(await page.inputValue('#eb-lang'), 'ko');
  assert.equal(await page.inputValue('#eb-theme'), 'dark');
  assert.equal(await page.inputValue('#eb-scale'), '1.25');
  assert.equal(await page.isChecked('#eb-parts input[data-part="log"]'), false);
  assert.equal(await page.isChecked('#eb-parts input[data-part="what"]'), false);
  assert.equal(await page.isChecked('#eb-parts input[data-part="charts"]'), true);
  // The dialog is in the page's language.
  assert.match(await page.textContent('#eb-title'), /[\uac00-\ud7a3]/);
  await page.click('#eb-copy-code');
  await page.waitForSelector('#eb-msg[data-copied="manual"]');
  assert.ok(await page.isVisible('#eb-msg'));
  const sel = await page.$eval('#eb-code', (ta) => [document.activeElement === ta, ta.selectionStart, ta.selectionEnd, ta.value.length]);
  assert.deepEqual(sel, [true, 0, sel[3], sel[3]], 'the whole code is selected in the focused box');
  assert.match(await page.inputValue('#eb-code'), /^<iframe src="[^"]*stage=compare[^"]*"/);
  await page.screenshot({ path: `${ART}/embed-builder-manual-copy.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
