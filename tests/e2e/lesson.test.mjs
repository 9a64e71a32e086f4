// The lesson's views (issue 12) against the engine, in headless Chromium, with tiny
// budgets on the CPU:
// - a sweep point equals a separate normal run with the same seed, size and budget (the
//   lecture's fixed epochs and the adapted "enough steps" budget); the sweep stops and
//   resumes, is kept per budget and comes back after a reload;
// - the first layer's feature maps shown are the API's `layerOutputs` for that image
//   (computed here by the page's own wasm module, outside the worker), and the canvas
//   shows them normalised per channel;
// - each confusion matrix sums to the test-set size, and its trace over the sum is the
//   test accuracy the stage shows; the gallery is the most confident mistakes first; a
//   frozen layer moved exactly 0 in stage 3;
// - the verdict says "within the uncertainty" exactly when the two accuracies are within
//   it (checked with an independent two-proportion test), and names the winner when not;
// - switching the language re-renders every view; every view comes back the same after a
//   reload and through a project zip (export, start over, import);
// - on the learner's own images (three named classes, a softmax head) the matrices are by
//   their class names, and the sweep runs up to the images they have.
// Screenshots: test-artifacts/lesson-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { adaptedFor } from '../../www/own/adapt.js';
import { useBrowser, openPage, shot, waitResult, testAccuracy, LONG } from './helpers.mjs';
import { shapes, many, waitCounts } from './own-helpers.mjs';

const browser = useBrowser();
const HANGUL = /[\uac00-\ud7a3]/;

/** The sweep table's row for `size`: each seed's accuracies. */
async function sweepRow(page, size) {
  return page.$eval(`#sweep-table tr[data-size="${size}"]`, (tr) => ({
    seeds: tr.dataset.seeds.split(',').map(Number),
    transfer: tr.dataset.transfer.split(',').map(Number),
    stage3: tr.dataset.stage3.split(',').map(Number),
    scratch: tr.dataset.scratch.split(',').map(Number),
    budget: tr.children[1].textContent,
  }));
}

/** Runs stage 4 (and what it needs) and B from scratch; the three test accuracies shown. */
async function normalRuns(page) {
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  return { stage3: await testAccuracy(page, 3), transfer: await testAccuracy(page, 4), scratch: await testAccuracy(page, 5) };
}

/** Opens `hash` in the same page (the store takes it: the inputs show its values). */
async function setLink(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  const want = Object.fromEntries(new URLSearchParams(hash.slice(1)));
  await page.waitForFunction((w) => ['ep3', 'ep4', 'bs'].every((k) => document.getElementById(k).value === w[k]), want);
}

test('a sweep point equals a separate run with the same seed, size and budget; stop, resume, cache per budget, reload', { timeout: 900_000 }, async () => {
  const base = '#ep3=1&ep4=1&n=20&seed=3&be=cpu&sws=2&swmax=20';
  const { page, errors } = await openPage(browser.get(), base);
  // The lecture's budget: stopped after its first point, then resumed.
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep-line[data-done="1"]', { timeout: LONG });
  await page.click('#sweep-stop');
  await page.waitForSelector('#sweep-resume:not([disabled])', { timeout: LONG });
  const stopped = Number(await page.getAttribute('#sweep-line', 'data-done'));
  assert.ok(stopped >= 1 && stopped < 4, `stopped part-way: ${stopped} of 4 points`);
  assert.equal(await page.getAttribute('#sweep', 'data-complete'), 'false');
  await shot(page, 'lesson-sweep-stopped', '#sweep');
  await page.click('#sweep-resume');
  await page.waitForSelector('#sweep[data-complete="true"]', { timeout: LONG });
  assert.equal(await page.getAttribute('#sweep-line', 'data-done'), '4');
  const lecture = await sweepRow(page, 20);
  assert.deepEqual(lecture.seeds, [3, 4]);
  assert.equal(lecture.budget, '32, 1+1');
  assert.equal(await page.getAttribute('#sweep-chart', 'data-points'), '4', 'two sizes, two curves');
  await shot(page, 'lesson-sweep', '#sweep');

  // The same seed, 20 images and budget as a normal run: the same three test accuracies.
  const run = await normalRuns(page);
  console.log(`lecture budget, 20 images, seed 3: sweep ${JSON.stringify(lecture)}, normal run ${JSON.stringify(run)}`);
  assert.deepEqual([lecture.stage3[0], lecture.transfer[0], lecture.scratch[0]], [run.stage3, run.transfer, run.scratch]);

  // Kept after a reload, current.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  await waitResult(page, 'sweep');
  assert.equal(await page.getAttribute('#sweep', 'data-complete'), 'true');
  assert.deepEqual(await sweepRow(page, 20), lecture);

  // Enough steps: adaptedFor(size) at each size, for both models.
  await page.selectOption('#swb', 'adapted');
  await page.fill('#sws', '1');
  await page.press('#sws', 'Tab');
  await page.waitForSelector('#sweep[data-result="sweepAdapted"][data-state="none"]');
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep[data-complete="true"]', { timeout: LONG });
  const adapted = await sweepRow(page, 20);
  const b = adaptedFor(20);
  assert.equal(adapted.budget, `${b.bs}, ${b.ep3}+${b.ep4}`);
  // The lecture's sweep is kept for its settings: back to them, it is current again.
  await page.fill('#sws', '2');
  await page.press('#sws', 'Tab');
  await page.selectOption('#swb', 'lecture');
  await waitResult(page, 'sweep');
  assert.deepEqual(await sweepRow(page, 20), lecture);
  await page.selectOption('#swb', 'adapted');
  await page.fill('#sws', '1');
  await page.press('#sws', 'Tab');
  await waitResult(page, 'sweepAdapted');

  // A normal run with the adapted budget of 20 images.
  await setLink(page, `#ep3=${b.ep3}&ep4=${b.ep4}&bs=${b.bs}&n=20&seed=3&be=cpu&sws=1&swmax=20&swb=adapted`);
  const run2 = await normalRuns(page);
  console.log(`adapted budget (${JSON.stringify(b)}), 20 images, seed 3: sweep ${JSON.stringify(adapted)}, normal run ${JSON.stringify(run2)}`);
  assert.deepEqual([adapted.stage3[0], adapted.transfer[0], adapted.scratch[0]], [run2.stage3, run2.transfer, run2.scratch]);
  // Changing a setting the adapted sweep used marks it out of date.
  await page.fill('#lr4', '0.001');
  await page.press('#lr4', 'Tab');
  await page.waitForSelector('#sweep[data-state="stale"]');
  assert.match(await page.getAttribute('#sweep-stale', 'data-reasons'), /setting:lr4/);
  assert.deepEqual(errors, []);
});

test('feature maps shown are the API\'s layerOutputs; confusion matrices sum to the test set and match the accuracy shown; a language switch re-renders every view', { timeout: 900_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#ep3=1&ep4=1&n=20&seed=3&be=cpu&sws=1&swmax=10');
  await page.fill('#feat-index', '5');
  await page.click('#feat-run'); // runs stages 1-4 first
  await waitResult(page, 'features');
  const shown = await page.evaluate(() => window.__playground.features());
  const api = await page.evaluate(async () => {
    const tp = await import('./www/pkg/transfer_playground.js');
    // The build the page's worker runs (relaxed SIMD where the browser has it): the two
    // builds differ by rounding, and the maps must be the same bit for bit.
    const { compileEngine } = await import('./www/wasm-url.js');
    await tp.default({ module_or_path: (await compileEngine(new URL('./www/pkg/', location.href))).module });
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const a = tp.loadLayersModel(new TextDecoder().decode(await bytes('www/assets/model-a/model.json')), await bytes('www/assets/model-a/weights.bin'));
    const set = tp.loadImageSet(await bytes('www/assets/task-b/test.tpds'));
    const x = { data: set.x.data.slice(5 * 784, 6 * 784), shape: [1, 28, 28, 1] };
    const [out] = a.layerOutputs(x, { layers: [0] });
    return { image: Array.from(x.data), data: Array.from(out.data), shape: out.shape, name: out.name };
  });
  assert.equal(shown.index, 5);
  assert.deepEqual(shown.image.data, api.image, 'the image shown is test image 5');
  const first = shown.layers[0];
  assert.equal(first.className, 'Conv2D');
  assert.deepEqual([1, ...first.shape], api.shape);
  assert.deepEqual(first.a, api.data, 'A\'s first-layer maps are the API\'s layerOutputs');
  // B after fine-tuning: the same layer moved a little (stage 4 ran), not at all beyond that.
  const diff = first.a.reduce((m, v, i) => Math.max(m, Math.abs(v - first.b[i])), 0);
  assert.ok(diff > 0 && diff < 0.05, `B's first-layer maps differ from A's by at most ${diff}`);
  // The canvas shows channel c of A's first layer as its values scaled to its own range.
  const [h, w, channels] = first.shape;
  const pixels = await page.$eval('canvas.map[data-model="a"][data-layer="0"]', (c) => ({ cols: Number(c.dataset.cols), data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data), width: c.width }));
  for (const c of [0, 7, channels - 1]) {
    const vals = api.data.filter((_, i) => i % channels === c);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const x0 = (c % pixels.cols) * (w + 1);
    const y0 = Math.floor(c / pixels.cols) * (h + 1);
    for (const [y, x] of [[0, 0], [14, 14], [h - 1, w - 1], [9, 20]]) {
      const v = api.data[(y * w + x) * channels + c];
      const want = hi > lo ? Math.round(((v - lo) / (hi - lo)) * 255) : 128;
      assert.equal(pixels.data[((y0 + y) * pixels.width + x0 + x) * 4], want, `channel ${c} at (${y}, ${x})`);
    }
  }
  await shot(page, 'lesson-features', '#features');

  // Errors: B after stage 3 and 4 exist; train from scratch too.
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  // Task B's test set, as prepare-data wrote it.
  const nTest = await page.evaluate(() => fetch('www/assets/data-split.json').then((r) => r.json()).then((d) => d.task_b.test));
  assert.equal(nTest, 2000);
  for (const [kind, view] of [['stage3', 3], ['stage4', 4], ['scratch', 5]]) {
    const m = await page.$eval(`figure.matrix[data-kind="${kind}"]`, (f) => ({ ...f.dataset, cells: [...f.querySelectorAll('td')].map((td) => Number(td.textContent)) }));
    const sum = m.cells.reduce((a, b) => a + b, 0);
    assert.equal(Number(m.sum), sum);
    assert.equal(sum, nTest, `${kind}: the matrix counts every test image`);
    assert.equal(Number(m.correct), m.cells[0] + m.cells[3], `${kind}: correct is the diagonal`);
    assert.equal(Number(m.correct) / sum, await testAccuracy(page, view), `${kind}: the trace over the sum is the test accuracy shown`);
  }
  const gallery = await page.$$eval('#err-gallery figure.mistake', (fs) => fs.map((f) => Number(f.dataset.confidence)));
  assert.ok(gallery.length > 0 && gallery.length <= 12);
  assert.deepEqual(gallery, [...gallery].sort((a, b) => b - a), 'most confident mistakes first');
  assert.ok(gallery.every((p) => p > 0.5));
  // Stage 3 froze the base: its layers with weights moved exactly 0; the head moved.
  const moved = await page.$$eval('#move-table tbody tr', (rs) => rs.map((r) => Number(r.dataset.stage3)));
  assert.deepEqual(moved.slice(0, -1), moved.slice(0, -1).map(() => 0));
  assert.ok(moved[moved.length - 1] > 0);
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep[data-complete="true"]', { timeout: LONG });
  await shot(page, 'lesson-errors', '#errors');
  await shot(page, 'lesson-movement', '#movement');

  // Language: every view's text is re-rendered, without running anything again.
  const views = ['#verdict', '#err-matrices', '#err-gallery', '#feat-maps', '#feat-filters', '#feat-note', '#move-table', '#move-result', '#sweep-budget', '#sweep-table', '#sweep-findings', '#sweep-line'];
  const before = Object.fromEntries(await Promise.all(views.map(async (v) => [v, await page.textContent(v)])));
  for (const v of views) assert.doesNotMatch(before[v], HANGUL, `${v} is English`);
  await page.selectOption('#lang', 'ko');
  await page.waitForFunction(() => document.documentElement.lang === 'ko');
  for (const v of views) {
    const text = await page.textContent(v);
    assert.match(text, HANGUL, `${v} in Korean: ${text.slice(0, 80)}`);
  }
  assert.equal(await page.getAttribute('#sweep', 'data-state'), 'fresh', 'nothing ran again');
  await shot(page, 'lesson-errors-ko', '#errors');
  await page.selectOption('#lang', 'en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  for (const v of views) assert.equal(await page.textContent(v), before[v], `${v} back in English`);

  // Saved with the project: after a reload, and through export -> start over -> import
  // (the zip keeps results as JSON), every view shows the same again, current.
  const state = async () => ({
    features: (await page.evaluate(() => window.__playground.features())).layers[0].a.slice(0, 50),
    matrices: await page.$$eval('figure.matrix', (fs) => fs.map((f) => f.textContent)),
    gallery: await page.$$eval('#err-gallery figure.mistake', (fs) => fs.map((f) => f.textContent)),
    maps: await page.$$eval('canvas.map', (cs) => cs.map((c) => c.toDataURL())),
    texts: await Promise.all(views.map((v) => page.textContent(v))),
    states: await page.$$eval('#features, #errors, #movement, #sweep', (ss) => ss.map((x) => x.dataset.state)),
  });
  const saved = await state();
  assert.deepEqual(saved.states, ['fresh', 'fresh', 'fresh', 'fresh']);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  await page.waitForSelector('#verdict[data-within]');
  assert.deepEqual(await state(), saved, 'after a reload');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const zip = readFileSync(await download.path());
  await page.click('#start-over');
  await Promise.all([page.waitForEvent('load'), page.click('#start-over')]);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  assert.equal(await page.getAttribute('#features', 'data-state'), 'none');
  const seq = Number(await page.getAttribute('#status', 'data-seq'));
  await page.setInputFiles('#import', { name: 'project.zip', mimeType: 'application/zip', buffer: zip });
  await page.waitForFunction((n) => Number(document.querySelector('#status').dataset.seq) > n, seq, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#status', 'data-key'), 'session.imported');
  await page.waitForSelector('#verdict[data-within]');
  assert.deepEqual(await state(), saved, 'after export and import');
  assert.deepEqual(errors, []);
});

/** An independent two-proportion test at 95 %: |a − b| ≤ 1.96 · √(a(1−a)/n + b(1−b)/n). */
function withinUncertainty(a, b, n) {
  return Math.abs(a - b) <= 1.959963984540054 * Math.sqrt((a * (1 - a)) / n + (b * (1 - b)) / n);
}

test('the verdict says "within the uncertainty" when it is and names the winner when not', { timeout: 600_000 }, async () => {
  const seen = new Set();
  // Measured: seed 2 with the lecture's settings gives accuracies within the uncertainty;
  // one epoch per stage on 40 images leaves transfer behind (4 SGD steps in stage 3).
  for (const hash of ['#be=cpu&seed=2', '#be=cpu&ep3=1&ep4=1&n=40&seed=3']) {
    const { page, errors } = await openPage(browser.get(), hash);
    await page.click('#err-run'); // stages 1-4 and from scratch
    await page.waitForSelector('#verdict[data-within]', { timeout: LONG });
    const v = await page.$eval('#verdict', (e) => ({ ...e.dataset, text: e.textContent }));
    const [ta, sa] = [await testAccuracy(page, 4), await testAccuracy(page, 5)];
    assert.equal(Number(v.transfer), ta);
    assert.equal(Number(v.scratch), sa);
    const within = withinUncertainty(ta, sa, 2000);
    console.log(`${hash}: transfer ${ta}, scratch ${sa}, within ${within}: ${v.text}`);
    assert.equal(v.within, String(within));
    if (within) {
      assert.match(v.text, /within the uncertainty/);
      assert.equal(v.winner, 'none');
      // Epochs to the target, as the validation curves show them.
      const tr = Number(v.transferEpochs);
      const sc = Number(v.scratchEpochs);
      assert.ok(tr > 0 && sc > 0);
      assert.match(v.text, new RegExp(`transfer learning took ${tr} epochs \\([0-9.]+ s\\), from scratch ${sc} epochs`));
    } else {
      const winner = ta > sa ? 'transfer' : 'scratch';
      assert.equal(v.winner, winner);
      assert.doesNotMatch(v.text, /within the uncertainty/);
      assert.match(v.text, winner === 'transfer' ? /Transfer learning wins here/ : /From scratch wins here/);
    }
    seen.add(within);
    await shot(page, `lesson-verdict-${within ? 'within' : 'winner'}`, '#compare');
    assert.deepEqual(errors, []);
    await page.context().close();
  }
  assert.deepEqual([...seen].sort(), [false, true], 'both cases were exercised');
});

test('the learner\'s own images: confusion matrices by their class names (three classes, softmax), the sweep up to the images they have', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#seed=5&be=cpu&ep3=1&ep4=1&sws=1');
  const names = ['circle', 'bar', '십자 cross'];
  await page.click('#class-add');
  for (const [k, name] of names.entries()) await page.fill(`#class-name-${k}`, name);
  await page.setInputFiles('#files-0', await shapes(page, many('disc', 14)));
  await page.setInputFiles('#files-1', await shapes(page, many('bar', 14, 2)));
  await page.setInputFiles('#files-2', await shapes(page, many('cross', 14, 4)));
  await waitCounts(page, [14, 14, 14], LONG);
  await page.click('#own-use');
  const n = Number(await page.inputValue('#n'));
  await page.click('#err-run'); // stages 1-4 and from scratch, on the learner's images
  await page.waitForFunction(() => document.querySelectorAll('figure.matrix:not(.empty)').length === 3, null, { timeout: LONG });
  for (const [kind, view] of [['stage3', 3], ['stage4', 4], ['scratch', 5]]) {
    const m = await page.$eval(`figure.matrix[data-kind="${kind}"]`, (f) => ({
      cols: [...f.querySelectorAll('thead th:not(.corner)')].map((th) => th.textContent),
      rows: [...f.querySelectorAll('tbody th')].map((th) => th.textContent),
      cells: [...f.querySelectorAll('td')].map((td) => Number(td.textContent)),
      correct: Number(f.dataset.correct), examples: Number(f.dataset.examples),
    }));
    assert.deepEqual(m.cols, names);
    assert.deepEqual(m.rows, names);
    assert.equal(m.cells.length, 9, '3 x 3');
    assert.equal(m.cells.reduce((a, b) => a + b, 0), m.examples);
    assert.equal(m.cells[0] + m.cells[4] + m.cells[8], m.correct);
    assert.equal(m.correct / m.examples, await testAccuracy(page, view), `${kind}: the accuracy shown`);
  }
  for (const cap of await page.$$eval('#err-gallery figcaption', (cs) => cs.map((c) => c.textContent))) {
    assert.ok(names.some((x) => cap.includes(x)), `a mistake named by the learner's classes: ${cap}`);
  }
  // The sweep on the learner's images: the lecture's sizes below the count, then all of them.
  await page.click('#sweep-run');
  await page.waitForSelector('#sweep[data-complete="true"]', { timeout: LONG });
  const sizes = await page.$$eval('#sweep-table tr[data-size]', (rs) => rs.map((r) => Number(r.dataset.size)));
  assert.deepEqual(sizes, [10, 20, n].filter((x, i, a) => a.indexOf(x) === i && x <= n));
  await shot(page, 'lesson-own-errors', '#errors');
  await shot(page, 'lesson-own-sweep', '#sweep');
  assert.deepEqual(errors, []);
});
