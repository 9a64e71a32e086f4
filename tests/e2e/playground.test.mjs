// The playground page in a real browser, the way a learner uses it: run the four
// stages on the built-in data, check the numbers the page shows, upload odd-sized
// images and a non-image, and open an embed link. Elements are found by id and data-*
// hooks, never by their English text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, LONG, useBrowser, openPage, shot, waitView, pngFiles } from './helpers.mjs';

const browser = useBrowser();
const open = (hash, viewport) => openPage(browser.get(), hash, { viewport });

test('the four stages run end to end with the built-in data', { timeout: 600_000 }, async () => {
  // Fewer epochs than the lecture's 4 + 16, for speed; the lecture defaults stay the defaults.
  const { page, errors, requests } = await open('#ep3=4&ep4=2&seed=1&be=cpu');
  const loaded = requests.length;
  assert.equal(await page.inputValue('#lr3'), '0.01');
  assert.equal(await page.inputValue('#n'), '200');
  assert.equal(await page.getAttribute('#backend-box', 'data-backend'), 'cpu');
  assert.equal(Number(await page.getAttribute('#a-info', 'data-meta-accuracy')).toFixed(4), '0.9491');

  // Stage 1: the clone has new layer objects and, after set_weights, A's weights.
  await page.click('#run-1');
  await page.waitForSelector('#fp-clone');
  assert.equal(await page.getAttribute('#clone-distinct', 'data-value'), 'true');
  assert.equal(await page.textContent('#fp-clone'), await page.textContent('#fp-a-before'));
  assert.notEqual(await page.textContent('#fp-fresh'), await page.textContent('#fp-clone'));
  await shot(page, 'stage-1', '#stage-1');

  // Stage 2: A's layers minus the output, plus Dense(1, sigmoid).
  await page.click('#run-2');
  await page.waitForSelector('#b-layers table');
  const aRows = await page.locator('#a-summary tbody tr').count();
  const bRows = page.locator('#b-layers tbody tr');
  assert.equal(await bRows.count(), aRows);
  assert.match(await bRows.last().textContent(), /Dense.*\(None, 1\)/);
  await shot(page, 'stage-2', '#stage-2');

  // Stage 3: frozen layers marked, trained head, frozen weights unchanged.
  await page.click('#run-3');
  await waitView(page, 3);
  assert.ok(await page.locator('#view-3 tr.frozen').count() >= 2, 'frozen layers are marked');
  assert.equal(await page.getAttribute('#frozen-fp', 'data-same'), 'true');
  assert.equal(await page.locator('#log-3 li').count(), 4);
  await shot(page, 'stage-3', '#stage-3');

  // Stage 4: stop after a couple of batches, then resume to the end.
  await page.click('#run-4');
  await page.waitForFunction(() => Number(document.querySelector('#prog-4')?.value) >= 2, null, { timeout: LONG });
  await page.click('#stop-4');
  await waitView(page, 4, 'stopped');
  await page.click('#resume-4');
  await waitView(page, 4);
  const acc = Number(await page.getAttribute('#final', 'data-value'));
  console.log(`final test accuracy shown: ${acc}`);
  assert.ok(acc >= 0.8, `final test accuracy ${acc} >= 0.8`);
  assert.equal(await page.getAttribute('#a-check', 'data-untouched'), 'true');
  // A's accuracy on its own task, measured in the page before and after: unchanged.
  assert.equal(Number(await page.getAttribute('#a-info', 'data-task-accuracy')), 0.949);
  assert.equal(Number(await page.getAttribute('#a-check', 'data-task-before')), 0.949);
  assert.equal(Number(await page.getAttribute('#a-check', 'data-task-after')), 0.949);
  assert.equal(await page.getAttribute('#stage-4', 'data-state'), 'fresh');
  await shot(page, 'stage-4', '#stage-4');

  // From scratch, side by side.
  await page.click('#run-5');
  await waitView(page, 5);
  const scratch = Number(await page.getAttribute('#cmp-result', 'data-scratch'));
  assert.ok(scratch >= 0 && scratch <= 1);
  assert.equal(await page.getAttribute('#cmp-result', 'data-state'), 'fresh');
  assert.equal(Number(await page.getAttribute('#cmp-result', 'data-transfer')), acc);
  await shot(page, 'compare', '#compare');

  // Predict on a test image.
  await page.fill('#pred-index', '3');
  await page.click('#pred-run');
  await page.waitForFunction(() => document.querySelector('#pred-out')?.dataset.p !== undefined);
  const p = Number(await page.getAttribute('#pred-out', 'data-p'));
  assert.ok(p >= 0 && p <= 1, `probability ${p}`);
  await shot(page, 'page');

  // Nothing left the machine: no request after load, and none to another origin.
  assert.deepEqual(requests.slice(loaded), []);
  assert.ok(requests.every((u) => u.startsWith(BASE)), requests.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('own images: odd sizes are resized to 28x28x1, a non-image is skipped by name', { timeout: 120_000 }, async () => {
  const { page, errors } = await open('');
  // PNGs of odd sizes, drawn by the browser itself.
  const pngs = await pngFiles(page, [['tall', 37, 91], ['wide', 1001, 333], ['tiny', 3, 5]].map(([kind, w, h]) => ({
    name: `${kind}-${w}x${h}.png`, w, h, background: '#fff', rects: [['#333', w / 4, h / 4, w / 2, h / 2]],
  })));
  const files = [pngs[0], pngs[1], { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') }];
  await page.setInputFiles('#files-0', files);
  await page.waitForSelector('#own-status[data-state="done"]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#own-status', 'data-skipped'), 'notes.txt');
  assert.equal(await page.getAttribute('#own-status', 'data-skipped-codes'), 'NOT_AN_IMAGE');
  assert.match(await page.textContent('#own-status'), /notes\.txt/);
  const shapes = await page.locator('#thumbs-0 .resized').evaluateAll((els) => els.map((e) => e.dataset.shape));
  assert.deepEqual(shapes, ['28x28x1', '28x28x1']);
  assert.match(await page.textContent('#thumbs-0'), /1001×333 → 28×28×1/);

  // Drag and drop into class 1.
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'tiny-3x5.png', { type: 'image/png' }));
    document.querySelector('#drop-1').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, pngs[2].buffer.toString('base64'));
  await page.waitForSelector('#thumbs-1 .resized');
  assert.equal(await page.getAttribute('#thumbs-1 .resized', 'data-shape'), '28x28x1');
  await shot(page, 'own-images', '#own');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an embed link shows one stage and its state round-trips', { timeout: 120_000 }, async () => {
  const hash = '#stage=3&lr3=0.05&ep3=3&seed=5&lang=ko&embed=1&hide=seed';
  const { page, errors } = await open(hash, { width: 960, height: 540 });
  assert.equal(await page.inputValue('#lr3'), '0.05');
  assert.equal(await page.inputValue('#ep3'), '3');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.ok(await page.isVisible('#stage-3'));
  for (const id of ['#stage-1', '#stage-2', '#stage-4', '#compare']) assert.ok(!(await page.isVisible(id)), `${id} hidden in embed`);
  assert.ok(!(await page.isVisible('[data-control="seed"]')), 'hidden control');
  assert.match(await page.textContent('#code-3'), /learning_rate=0\.05/);
  assert.match(await page.textContent('#code-3'), /epochs=3/);
  // The hash the page writes back holds the same state.
  const round = await page.evaluate(async () => {
    const { parseHash, toHash } = await import('./www/state.js');
    return [toHash(parseHash(location.hash).state), location.hash];
  });
  const asObj = (h) => Object.fromEntries(new URLSearchParams(h.slice(1)));
  assert.deepEqual(asObj(round[0]), asObj(hash));
  // Editing a control updates the hash; the embed code carries it.
  await page.fill('#ep3', '5');
  await page.press('#ep3', 'Tab');
  assert.match(await page.evaluate(() => location.hash), /ep3=5/);
  await shot(page, 'embed-stage-3');
  await page.evaluate(() => { document.body.classList.remove('embed'); });
  await page.click('#open-embed');
  const code = await page.inputValue('#eb-code');
  assert.match(code, /<iframe src="[^"]*#[^"]*embed=1/);
  assert.match(code, /ep3=5/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a huge photo and many files are processed without blocking the page', { timeout: 300_000 }, async () => {
  const { page, errors } = await open('');
  // One 6000x4000 photo-sized PNG and 30 small ones, made by the browser.
  const files = await pngFiles(page, Array.from({ length: 31 }, (_, k) => {
    const [w, h] = k === 0 ? [6000, 4000] : [40 + k, 30 + 2 * k];
    return { name: k === 0 ? 'huge-6000x4000.png' : `small-${k}.png`, w, h, background: '#fff', rects: [[`rgb(${k * 8 % 255}, 40, 90)`, w / 5, h / 6, w / 2, h / 2]] };
  }));
  // Watch the progress text from the page's own main thread: intermediate values
  // prove the page kept running (painting, handling events) while the worker worked.
  await page.evaluate(() => {
    window.__seen = [];
    new MutationObserver(() => window.__seen.push(document.querySelector('#own-status').textContent))
      .observe(document.querySelector('#own-status'), { childList: true, characterData: true, subtree: true });
  });
  await page.setInputFiles('#files-0', files);
  await page.waitForFunction(() => document.querySelectorAll('#thumbs-0 .resized').length === 31, null, { timeout: 240_000 });
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.length >= 5, `progress updates seen on the main thread: ${seen.length}`);
  const shapes = await page.locator('#thumbs-0 .resized').evaluateAll((els) => els.map((e) => e.dataset.shape));
  assert.ok(shapes.every((s) => s === '28x28x1'));
  assert.match(await page.textContent('#thumbs-0'), /6000×4000 → 28×28×1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard alone: reach the stage buttons with Tab and run stage 1 with Enter', { timeout: 120_000 }, async () => {
  const { page, errors } = await open('');
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'run-1');
  }
  assert.ok(reached, 'the "Clone A" button is reachable with Tab');
  // A visible focus indicator on it.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#fp-clone');
  assert.equal(await page.textContent('#fp-clone'), await page.textContent('#fp-a-before'));
  // The theme toggle works from the keyboard too.
  const before = await page.getAttribute('html', 'data-theme');
  await page.focus('#theme');
  await page.keyboard.press('Enter');
  assert.notEqual(await page.getAttribute('html', 'data-theme'), before);
  await shot(page, 'theme-toggled');
  assert.deepEqual(errors, []);
  await page.close();
});
