// The example deck (www/slides/) in a real browser, as a teacher uses it: walk through
// every slide with the keyboard, see each embedded stage of the playground get ready,
// run one, resize an uploaded picture on the resize slide, switch to Korean.
// Needs a server at $E2E_BASE_URL and Chromium at $CHROMIUM_PATH (scripts/test.sh
// provides both). Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ART, useContext, watch, pngFiles } from './helpers.mjs';
import { layoutReport } from './embed-host.mjs';

const READY = 120_000;

// The project's browser and flags (helpers.mjs); one context for the file.
const context = useContext({ viewport: { width: 1280, height: 720 } });

async function open(query = '', hash = '') {
  const page = await context.get().newPage();
  // Console errors include Content-Security-Policy violations, in the deck and its frames.
  const { errors, requests } = watch(page);
  await page.goto(`${BASE}/www/slides/index.html${query}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors, requests };
}

const pad = (n) => String(n).padStart(2, '0');

/** The shown slide: its number, the hash, and that exactly it is visible and fits the window. */
async function shown(page) {
  return page.evaluate(() => {
    const cur = [...document.querySelectorAll('.deck > .slide')].filter((s) => getComputedStyle(s).visibility === 'visible');
    const r = cur[0]?.getBoundingClientRect();
    return {
      n: Number(document.body.dataset.slide), hash: location.hash, visible: cur.length,
      fits: r && r.left >= -0.5 && r.top >= -0.5 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5,
      frame: cur[0]?.querySelector('iframe')?.getAttribute('src') ?? null,
      stage: cur[0]?.querySelector('iframe')?.dataset.stage ?? null,
    };
  });
}

/** Waits for the embedded playground of the current slide to be ready; returns its frame. */
async function readyFrame(page) {
  const handle = await page.$('.slide.current iframe');
  const frame = await handle.contentFrame();
  await frame.waitForSelector('body[data-ready="true"]', { timeout: READY });
  return frame;
}

test('every slide loads, the keyboard moves through all of them, each embedded stage gets ready', { timeout: 600_000 }, async () => {
  const { page, errors, requests } = await open('?lang=en');
  const total = Number(await page.getAttribute('body', 'data-slides'));
  assert.equal(total, await page.locator('.deck > .slide').count());
  assert.ok(total >= 9, `${total} slides`);
  // Forward with every "next" key in turn.
  const nextKeys = ['ArrowRight', 'PageDown', ' ', 'ArrowDown'];
  const stages = [];
  for (let i = 1; i <= total; i++) {
    if (i > 1) await page.keyboard.press(nextKeys[i % nextKeys.length]);
    const s = await shown(page);
    assert.deepEqual([s.n, s.hash, s.visible, s.fits], [i, `#${i}`, 1, true], `slide ${i}`);
    if (s.stage) {
      assert.match(s.frame, new RegExp(`/index\\.html#stage=${s.stage}&embed=1&lang=en`));
      const frame = await readyFrame(page);
      // The frame shows its stage only, in the deck's language.
      assert.equal(await frame.evaluate(() => document.documentElement.lang), 'en');
      assert.equal(await frame.isVisible(`section[data-view="${s.stage}"]`), true);
      assert.equal(await frame.locator('section.stage:visible').count(), 1);
      stages.push(s.stage);
      // The embed fits the deck's 960x540 frame: no scrollbar, nothing cut off or overlapping.
      const fit = await layoutReport(frame);
      assert.ok(Math.abs(fit.width - 960) <= 2 && Math.abs(fit.height - 540) <= 2, `the deck's frame: ${fit.width}x${fit.height} inside its border`);
      assert.ok(fit.scrollWidth <= fit.width && fit.scrollHeight <= fit.height, `slide ${i}: ${fit.scrollWidth}x${fit.scrollHeight}`);
      assert.deepEqual(fit.problems, [], `slide ${i}`);
      // data-hide on the frame reaches the playground's hide= (stage 3 hides its seed).
      if (s.stage === '3') {
        assert.match(s.frame, /&hide=seed/);
        assert.equal(await frame.isHidden('[data-control="seed"]'), true);
        assert.equal(await frame.isVisible('[data-control="lr3"]'), true);
      }
    }
    await page.screenshot({ path: `${ART}/slides-en-${pad(i)}.png` });
  }
  assert.deepEqual(stages, ['1', '2', '3', '4', 'compare'], 'stages 1-4 and the comparison, each on its own slide, in order');
  // Past the end stays at the end; then back, Home, End, PageUp, the hash.
  await page.keyboard.press('ArrowRight');
  assert.equal((await shown(page)).n, total);
  await page.keyboard.press('Home');
  assert.equal((await shown(page)).n, 1);
  await page.keyboard.press('ArrowLeft');
  assert.equal((await shown(page)).n, 1);
  await page.keyboard.press('End');
  assert.equal((await shown(page)).n, total);
  await page.keyboard.press('PageUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Shift+Space');
  assert.equal((await shown(page)).n, total - 3);
  await page.evaluate(() => { location.hash = '#2'; });
  await page.waitForFunction(() => document.body.dataset.slide === '2');
  // The on-screen buttons do the same.
  await page.click('#next');
  assert.equal((await shown(page)).n, 3);
  await page.click('#prev');
  assert.equal((await shown(page)).n, 2);
  // Offline-ready: every request went to the site itself.
  assert.ok(requests.every((u) => u.startsWith(BASE)), requests.filter((u) => !u.startsWith(BASE)).join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('one embed runs: stage 1 clones model A inside its slide; a reload by hash keeps the slide', { timeout: 300_000 }, async () => {
  const { page, errors } = await open('?lang=en');
  const index = await page.$$eval('.deck > .slide', (ss) => ss.findIndex((s) => s.querySelector('iframe[data-stage="1"]')) + 1);
  assert.ok(index > 0);
  // A fresh load straight onto that slide.
  await page.goto('about:blank');
  await page.goto(`${BASE}/www/slides/index.html?lang=en#${index}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal((await shown(page)).n, index, 'the hash opens that slide');
  const frame = await readyFrame(page);
  await frame.click('#run-1');
  await frame.waitForSelector('#fp-clone', { timeout: READY });
  // The clone has A's weights (same fingerprint) in new layer objects (fresh ones differ).
  assert.equal(await frame.textContent('#fp-clone'), await frame.textContent('#fp-a-before'));
  assert.notEqual(await frame.textContent('#fp-fresh'), await frame.textContent('#fp-clone'));
  await page.screenshot({ path: `${ART}/slides-embed-run.png` });
  // The focus is on the frame's button now; the deck's keys still work from there.
  assert.equal(await frame.evaluate(() => document.activeElement?.id), 'run-1');
  await page.keyboard.press('ArrowRight');
  assert.equal((await shown(page)).n, index + 1, 'ArrowRight inside the embed moves the deck');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the resize demo shows the 28x28 grayscale image the engine makes from an uploaded picture', { timeout: 180_000 }, async () => {
  const { page, errors } = await open('?lang=en');
  const index = await page.$$eval('.deck > .slide', (ss) => ss.findIndex((s) => s.id === 'resize-slide') + 1);
  await page.evaluate((n) => { location.hash = `#${n}`; }, index);
  await page.waitForFunction((n) => document.body.dataset.slide === String(n), index);
  // Pictures whose centre square is white and whose cut-off margins are coloured: after a
  // centre crop every pixel of the result is white; a squash or an off-centre crop
  // would bring the colours (luma <= 150) into the edge columns or rows.
  const pngs = await pngFiles(page, [['wide', 300, 150, '#ff0000'], ['tall', 120, 360, '#0000ff']].map(([kind, w, h, margin]) => {
    const s = Math.min(w, h);
    return { name: `${kind}-${w}x${h}.png`, w, h, background: margin, rects: [['#fff', (w - s) / 2, (h - s) / 2, s, s]] };
  }));
  const pixels = () => page.evaluate(() => {
    const c = document.querySelector('#resized');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const gray = [];
    for (let i = 0; i < d.length; i += 4) gray.push(d[i]);
    return { w: c.width, h: c.height, shape: c.dataset.shape, min: Math.min(...gray), max: Math.max(...gray) };
  });
  for (const [i, file] of pngs.entries()) {
    const { name } = file;
    await page.setInputFiles('#resize-file', file);
    await page.waitForSelector('#resize-slide[data-state="done"]', { timeout: 60_000 });
    const p = await pixels();
    assert.deepEqual([p.w, p.h, p.shape], [28, 28, '28x28x1'], name);
    assert.ok(p.min >= 250, `${name}: darkest pixel ${p.min}: the coloured margins were cropped away`);
    assert.match(await page.textContent('#orig-cap'), i === 0 ? /300 × 150/ : /120 × 360/);
    if (i === 0) await page.screenshot({ path: `${ART}/slides-resize-upload.png` });
  }
  // Invert: light paper becomes black, as Fashion-MNIST's background.
  await page.check('#resize-invert');
  await page.waitForFunction(() => document.querySelector('#resize-slide').dataset.state === 'done' && document.querySelector('#resize-slide').dataset.busy === 'false');
  assert.ok((await pixels()).max <= 5, 'inverted');
  assert.match(await page.textContent('#resized-how'), /by the engine \((imageToInput|resizeImages)\)/);
  // Not a picture: said on the slide, nothing thrown.
  await page.setInputFiles('#resize-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await page.waitForSelector('#resize-slide[data-state="error"]', { timeout: 30_000 });
  assert.match(await page.textContent('#resized-how'), /Could not read this image/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Korean: text, embeds in Korean, the L key back to English; 16:9 at any window size', { timeout: 300_000 }, async () => {
  const { page, errors } = await open('?lang=ko');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.match(await page.locator('.slide.current h1').innerText(), /전이 학습/);
  await page.screenshot({ path: `${ART}/slides-ko-01.png` });
  await page.keyboard.press('ArrowRight');
  assert.match(await page.locator('.slide.current h2').innerText(), /왜 전이 학습인가/);
  await page.screenshot({ path: `${ART}/slides-ko-02.png` });
  const resize = await page.$$eval('.deck > .slide', (ss) => ss.findIndex((s) => s.id === 'resize-slide') + 1);
  await page.evaluate((n) => { location.hash = `#${n}`; }, resize);
  await page.click('#resize-sample');
  await page.waitForSelector('#resize-slide[data-state="done"]', { timeout: 60_000 });
  await page.screenshot({ path: `${ART}/slides-ko-${pad(resize)}.png` });
  const stage3 = await page.$$eval('.deck > .slide', (ss) => ss.findIndex((s) => s.querySelector('iframe[data-stage="3"]')) + 1);
  await page.evaluate((n) => { location.hash = `#${n}`; }, stage3);
  await page.waitForFunction((n) => document.body.dataset.slide === String(n), stage3);
  assert.match((await shown(page)).frame, /#stage=3&embed=1&lang=ko/);
  let frame = await readyFrame(page);
  assert.equal(await frame.evaluate(() => document.documentElement.lang), 'ko');
  await page.screenshot({ path: `${ART}/slides-ko-${pad(stage3)}.png` });
  // L switches the deck and reloads the embed in English; the URL keeps the choice.
  await page.keyboard.press('l');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(page.url(), /\?lang=en#/);
  assert.match((await shown(page)).frame, /#stage=3&embed=1&lang=en/);
  frame = await readyFrame(page);
  assert.equal(await frame.evaluate(() => document.documentElement.lang), 'en');
  // 16:9 scaling: the slide keeps its aspect ratio and fills the window's limiting side.
  for (const [w, h] of [[1000, 800], [1920, 1080], [800, 300]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForFunction(([vw, vh]) => {
      const r = document.querySelector('.slide.current').getBoundingClientRect();
      const s = Math.min(vw / 1280, vh / 720);
      return Math.abs(r.width - 1280 * s) < 1 && Math.abs(r.height - 720 * s) < 1
        && Math.abs(r.left + r.width / 2 - vw / 2) < 1 && Math.abs(r.top + r.height / 2 - vh / 2) < 1;
    }, [w, h], { timeout: 5_000 });
  }
  assert.deepEqual(errors, []);
  await page.close();
});
