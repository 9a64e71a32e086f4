// Embeds fit their frame (issue 14 item 2). One playground embedded in a host page on
// another origin, trained once with tiny budgets; for every section (stages 1-4, the
// comparison, predict) before, during (a run stopped after its first batches) and after
// its run, in English and Korean, in a 960x540 and a 1280x720 frame (the language and
// the frame change without a reload, so every combination reuses the one session):
// the embedded document scrolls neither way, nothing sticks out of the frame,
// overflows its box or overlaps another part, chart legends fit, and the fit factor
// stays 1 (the layout fits by itself; embed-fit.js did not have to shrink the text).
// After each run every tab (code, layers, log) is checked too, and at the largest
// presenter scale the builder offers everything still fits.
// Screenshots of every state: test-artifacts/embed-fit-<stage>-<phase>-<lang>-<w>x<h>.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, LONG, ART, useBrowser, newContext, watch } from './helpers.mjs';
import { useHost, layoutReport, frameFrom } from './embed-host.mjs';

const browser = useBrowser();
const host = useHost();
const SIZES = [[960, 540], [1280, 720]];
const LANGS = ['en', 'ko'];
// Tiny budgets: 10 batches per epoch (so a run can be stopped part-way), two epochs.
const BUDGET = 'ep3=2&ep4=2&n=50&bs=5&be=cpu&theme=light';
const embedUrl = (stage, lang, extra = '') => `${BASE}/index.html#stage=${stage}&embed=1&lang=${lang}&${BUDGET}${extra}`;

test('every section fits its frame before, during and after training, in English and Korean, at 960x540 and 1280x720', { timeout: 900_000 }, async () => {
  const hostUrl = host.page(`<iframe id="f" src="${embedUrl('1', 'en')}" width="960" height="540" style="border:0" title="playground"></iframe>`);
  const context = await newContext(browser.get(), { viewport: { width: 1320, height: 760 } });
  const page = await context.newPage();
  const { errors } = watch(page);
  await page.goto(hostUrl);
  const frame = await frameFrom(page, BASE);
  assert.ok(frame, 'the playground frame');
  assert.notEqual(new URL(hostUrl).origin, new URL(BASE).origin, 'the host is another origin');
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });

  const heights = {};
  let count = 0;
  /** Shows `stage` in `lang` at size [w, h] (no reload), waits for the layout to settle. */
  async function show(stage, lang, [w, h], extra = '') {
    await page.evaluate(([u, fw, fh]) => {
      const f = document.getElementById('f');
      f.width = String(fw);
      f.height = String(fh);
      f.src = u;
    }, [embedUrl(stage, lang, extra), w, h]);
    await frame.waitForFunction(([l, fw, fh, s]) => document.documentElement.lang === l && innerWidth === fw && innerHeight === fh
      && document.querySelector(`section[data-view="${s}"]`)?.hidden === false, [lang, w, h, stage]);
    // Two frames: the re-render, then the fit check and the charts' redraw.
    await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
  }
  async function check(stage, phase, { tabs = false, extra = '', fit = 1 } = {}) {
    for (const lang of LANGS) {
      for (const size of SIZES) {
        await show(stage, lang, size, extra);
        const where = `${stage} ${phase} ${lang} ${size.join('x')}${extra}`;
        const r = await layoutReport(frame);
        const name = `embed-fit-${stage}-${phase}-${lang}-${size.join('x')}${extra ? '-scale' : ''}`;
        await page.locator('#f').screenshot({ path: `${ART}/${name}.png` });
        count += 1;
        heights[`${stage} ${phase} ${lang} ${size.join('x')}${extra}`] = `${r.scrollWidth}x${r.scrollHeight}, fit ${r.fit}`;
        assert.deepEqual([r.stage, r.lang, r.width, r.height], [stage, lang, ...size], where);
        assert.ok(r.scrollWidth <= r.width && r.scrollHeight <= r.height, `${where}: document ${r.scrollWidth}x${r.scrollHeight} in a ${r.width}x${r.height} frame`);
        assert.deepEqual(r.problems, [], where);
        if (fit === 1) assert.equal(r.fit, 1, `${where}: the layout fits without shrinking the text`);
        else assert.ok(r.fit >= fit, `${where}: fit factor ${r.fit} >= ${fit}`);
        if (!tabs) continue;
        // Every other tab of the panel fits as well.
        const names = await frame.$$eval('section.stage:not([hidden]) .tabs:not([hidden]) [role="tab"]:not([hidden])', (bs) => bs.map((b) => b.dataset.tab));
        for (const tab of names.filter((n) => n !== 'main')) {
          await frame.click(`section.stage:not([hidden]) [role="tab"][data-tab="${tab}"]`);
          await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
          const t = await layoutReport(frame);
          if (size[0] === 960) await page.locator('#f').screenshot({ path: `${ART}/${name}-tab-${tab}.png` });
          count += 1;
          assert.equal(t.tab, tab);
          assert.ok(t.scrollWidth <= t.width && t.scrollHeight <= t.height, `${where} tab ${tab}: ${t.scrollWidth}x${t.scrollHeight}`);
          assert.deepEqual(t.problems, [], `${where} tab ${tab}`);
          assert.ok(t.fit >= 0.9, `${where} tab ${tab}: fit factor ${t.fit}`);
        }
        await frame.click('section.stage:not([hidden]) [role="tab"][data-tab="main"]');
      }
    }
  }
  /** Starts view `n`'s run, stops it after its first batch, checks, resumes to the end. */
  async function trained(stage, n) {
    await check(stage, 'before');
    // Stopped after its first batch by the worker's test hook: a click cannot be timed
    // (on two workers these tiny batches take about a millisecond each).
    const job = { 3: 'stage3', 4: 'stage4', 5: 'scratch' }[n];
    await frame.evaluate((j) => window.__playground.call('stopAfter', { job: j, batches: 1 }), job);
    await frame.click(`#run-${n}`);
    await frame.waitForSelector(`#view-${n}[data-status="stopped"]`, { timeout: LONG });
    assert.notEqual(await frame.textContent(`#batch-${n}`), '', 'the progress line shows');
    await check(stage, 'during');
    await frame.click(`#resume-${n}`);
    await frame.waitForSelector(`#view-${n}[data-status="done"]`, { timeout: LONG });
    await check(stage, 'after', { tabs: true });
  }

  await check('1', 'before');
  await frame.click('#run-1');
  await frame.waitForSelector('#fp-clone', { timeout: LONG });
  await check('1', 'after', { tabs: true });

  await show('2', 'en', SIZES[0]);
  await check('2', 'before');
  await frame.click('#run-2');
  await frame.waitForSelector('#b-layers table', { timeout: LONG });
  await check('2', 'after', { tabs: true });

  await show('3', 'en', SIZES[0]);
  await trained('3', 3);
  await show('4', 'en', SIZES[0]);
  await trained('4', 4);
  await show('compare', 'en', SIZES[0]);
  await trained('compare', 5);

  await show('predict', 'en', SIZES[0]);
  await check('predict', 'before');
  await frame.fill('#pred-index', '3');
  await frame.click('#pred-run');
  await frame.waitForFunction(() => document.querySelector('#pred-out').textContent !== '', null, { timeout: LONG });
  await check('predict', 'after');

  // The largest presenter scale the builder offers: still no scrollbar, nothing cut off;
  // the text may have been made smaller to fit, but stays larger than at scale 1.
  for (const stage of ['1', '2', '3', '4', 'compare', 'predict']) await check(stage, 'after', { extra: '&scale=1.5', fit: 0.7 });

  // Custom frame sizes (4:3, small, wide): still no scrollbar and nothing cut off.
  for (const size of [[800, 600], [640, 360], [1600, 600]]) {
    for (const stage of ['1', '3', '4', 'compare']) {
      for (const lang of LANGS) {
        await show(stage, lang, size);
        const r = await layoutReport(frame);
        const where = `${stage} ${lang} ${size.join('x')}`;
        heights[where] = `${r.scrollWidth}x${r.scrollHeight}, fit ${r.fit}`;
        count += 1;
        await page.locator('#f').screenshot({ path: `${ART}/embed-fit-${stage}-custom-${lang}-${size.join('x')}.png` });
        assert.ok(r.scrollWidth <= r.width && r.scrollHeight <= r.height, `${where}: ${r.scrollWidth}x${r.scrollHeight}`);
        assert.deepEqual(r.problems, [], where);
      }
    }
  }

  console.log(`${count} layouts checked; document size (px) and fit factor:`);
  for (const [k, v] of Object.entries(heights)) console.log(`  ${k}: ${v}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an embed of the comparison or of predict alone trains what it needs first, says so, and fits meanwhile', { timeout: 600_000 }, async () => {
  const context = await newContext(browser.get(), { viewport: { width: 1000, height: 600 } });
  const page = await context.newPage();
  const { errors } = watch(page);
  for (const [stage, run] of [['compare', '#run-5'], ['predict', '#pred-run']]) {
    for (const lang of LANGS) {
      await page.goto(host.page(`<iframe id="f" src="${embedUrl(stage, lang)}" width="960" height="540" style="border:0" title="playground"></iframe>`));
      const frame = await frameFrom(page, BASE);
      await frame.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
      await frame.click(run);
      // The transfer run trains first, out of sight: the status bar says which stage, and the run waits.
      await frame.waitForSelector('#embed-upstream:not([hidden])', { timeout: LONG });
      assert.match(await frame.getAttribute('#embed-upstream', 'data-job'), /^stage[34]$/);
      assert.equal(await frame.$eval(run, (b) => b.disabled), true, 'the section\'s run waits');
      const during = await layoutReport(frame);
      await page.locator('#f').screenshot({ path: `${ART}/embed-fit-${stage}-upstream-${lang}.png` });
      assert.deepEqual(during.problems, [], `${stage} ${lang} while stage 3/4 train`);
      assert.equal(during.fit, 1);
      if (stage === 'compare') {
        await frame.waitForSelector('#view-5[data-status="done"]', { timeout: LONG });
        const [tr, sc] = await frame.$eval('#cmp-result', (el) => [el.dataset.transfer, el.dataset.scratch]);
        assert.ok(Number(tr) > 0 && Number(sc) > 0, `both runs compared: transfer ${tr}, scratch ${sc}`);
        assert.equal(await frame.getAttribute('#cmp-result', 'data-state'), 'fresh');
      } else {
        await frame.waitForFunction(() => document.querySelector('#pred-out').dataset.p > 0, null, { timeout: LONG });
      }
      assert.equal(await frame.isHidden('#embed-upstream'), true, 'the line goes when the transfer run is done');
      const after = await layoutReport(frame);
      assert.deepEqual(after.problems, [], `${stage} ${lang} after`);
      assert.equal(after.fit, 1);
    }
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('the lesson\'s views (errors, features, movement, sweep, the verdict) fit their frame before and after their runs, in English and Korean, at 960x540 and 1280x720, every tab', { timeout: 900_000 }, async () => {
  const LESSON = `${BUDGET}&sws=1&swmax=20`;
  const url = (stage, lang) => `${BASE}/index.html#stage=${stage}&embed=1&lang=${lang}&${LESSON}`;
  const context = await newContext(browser.get(), { viewport: { width: 1320, height: 760 } });
  const page = await context.newPage();
  const { errors } = watch(page);
  await page.goto(host.page(`<iframe id="f" src="${url('errors', 'en')}" width="960" height="540" style="border:0" title="playground"></iframe>`));
  const frame = await frameFrom(page, BASE);
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  const settle = () => frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
  let count = 0;
  async function show(stage, lang, [w, h]) {
    await page.evaluate(([u, fw, fh]) => { const f = document.getElementById('f'); f.width = String(fw); f.height = String(fh); f.src = u; }, [url(stage, lang), w, h]);
    await frame.waitForFunction(([l, fw, fh, s]) => document.documentElement.lang === l && innerWidth === fw && innerHeight === fh
      && document.querySelector(`section[data-view="${s}"]`)?.hidden === false, [lang, w, h, stage]);
    await settle();
  }
  async function check(stage, phase) {
    // Korean first: the last check leaves the English 960x540 frame the runs start from.
    for (const lang of ['ko', 'en']) {
      for (const size of [...SIZES].reverse()) {
        await show(stage, lang, size);
        const where = `${stage} ${phase} ${lang} ${size.join('x')}`;
        const r = await layoutReport(frame);
        await page.locator('#f').screenshot({ path: `${ART}/embed-fit-${stage}-${phase}-${lang}-${size.join('x')}.png` });
        count += 1;
        assert.deepEqual([r.stage, r.lang], [stage, lang], where);
        assert.ok(r.scrollWidth <= r.width && r.scrollHeight <= r.height, `${where}: document ${r.scrollWidth}x${r.scrollHeight}`);
        assert.deepEqual(r.problems, [], where);
        assert.equal(r.fit, 1, `${where}: the layout fits without shrinking the text`);
        const names = await frame.$$eval('section.stage:not([hidden]) .tabs:not([hidden]) [role="tab"]:not([hidden])', (bs) => bs.map((b) => b.dataset.tab));
        for (const tab of names.filter((n) => n !== 'main')) {
          await frame.click(`section.stage:not([hidden]) [role="tab"][data-tab="${tab}"]`);
          await settle();
          const t = await layoutReport(frame);
          if (size[0] === 960) await page.locator('#f').screenshot({ path: `${ART}/embed-fit-${stage}-${phase}-${lang}-${size.join('x')}-tab-${tab}.png` });
          count += 1;
          assert.deepEqual(t.problems, [], `${where} tab ${tab}`);
          assert.ok(t.scrollWidth <= t.width && t.scrollHeight <= t.height, `${where} tab ${tab}`);
          assert.ok(t.fit >= 0.9, `${where} tab ${tab}: fit factor ${t.fit}`);
        }
        await frame.click('section.stage:not([hidden]) [role="tab"][data-tab="main"]').catch(() => {});
      }
    }
  }
  await check('errors', 'before');
  // The errors view trains what it shows (stages 3, 4 and from scratch), out of sight.
  await frame.click('#err-run');
  await frame.waitForSelector('#embed-upstream:not([hidden])', { timeout: LONG });
  assert.deepEqual((await layoutReport(frame)).problems, [], 'errors while the models train');
  await frame.waitForFunction(() => document.querySelectorAll('figure.matrix:not(.empty)').length === 3, null, { timeout: LONG });
  await check('errors', 'after');
  await check('movement', 'after');
  await check('compare', 'after'); // with its verdict tab
  await check('features', 'before');
  await frame.click('#feat-run');
  await frame.waitForSelector('#features[data-state="fresh"]', { timeout: LONG });
  await check('features', 'after');
  await check('sweep', 'before');
  await frame.click('#sweep-run');
  await frame.waitForSelector('#sweep-line[data-done="1"]', { timeout: LONG });
  const during = await layoutReport(frame);
  await page.locator('#f').screenshot({ path: `${ART}/embed-fit-sweep-during-en-960x540.png` });
  assert.deepEqual(during.problems, [], 'sweep while it runs');
  assert.equal(during.fit, 1);
  await frame.waitForSelector('#sweep[data-complete="true"]', { timeout: LONG });
  await check('sweep', 'after');
  console.log(`${count} layouts of the lesson's views checked`);
  assert.deepEqual(errors, []);
  await context.close();
});
