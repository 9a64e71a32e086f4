// Nothing is lost on reload, and a project travels as one file: the learner's images,
// model A, the trained models (checked by predicting the same probability and by
// re-running stage 4 to the same accuracy) and the results with their provenance come
// back after a reload, and after export -> start over -> import. Storage that fails
// (no IndexedDB, a full quota) is told to the learner and breaks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzip } from '../../www/zip.js';
import { useBrowser, openPage, newContext, shot, waitReady, waitResult, testAccuracy, pngFiles, useOwnImages } from './helpers.mjs';

const browser = useBrowser();

/** `count` small PNGs, different from each other: a lying bar in the first half, a standing one after. */
function pngs(page, count) {
  return pngFiles(page, Array.from({ length: count }, (_, k) => ({
    name: `photo-${k}.png`, w: 24 + k, h: 28, background: '#000',
    rects: [k < count / 2 ? ['#fff', 4, 18, 18, 6] : ['#fff', 8, 2 + (k % 3), 8, 22]],
  })));
}

async function uploadTen(page) {
  const files = await pngs(page, 10);
  await useOwnImages(page, [files.slice(0, 5), files.slice(5)]);
}

/** What the project looks like on the page: images, results, model A, a prediction. */
async function snapshot(page, kinds) {
  await page.click('#pred-run');
  await page.waitForSelector('#pred-out[data-p]');
  const out = await page.evaluate((ks) => ({
    images: [...document.querySelectorAll('.thumb')].map((f) => f.dataset.imageId),
    pixels: [...document.querySelectorAll('.thumb canvas')].map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join()).join('|').length,
    a: document.querySelector('#a-info').dataset.fingerprint,
    source: document.querySelector('#a-info').dataset.source,
    results: ks.map((k) => document.querySelector(`[data-result="${k}"]`)).map((s) => [s.dataset.state, s.dataset.resultId]),
    p: document.querySelector('#pred-out').dataset.p,
    scenario: document.querySelector('#own-scenario').dataset.scenario,
  }), kinds);
  out.acc = {};
  for (const [k, n] of [['stage3', 3], ['stage4', 4], ['scratch', 5]]) if (kinds.includes(k)) out.acc[k] = await testAccuracy(page, n);
  return out;
}

test('upload -> train -> reload: the same images, models and accuracies are back', { timeout: 600_000 }, async () => {
  const context = await newContext(browser.get());
  const { page, errors } = await openPage(context, '#ep3=2&ep4=1&lr4=0.05&seed=2&be=cpu');
  await uploadTen(page);
  await page.click('#run-4');
  await waitResult(page, 'stage4');
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  const kinds = ['stage1', 'stage2', 'stage3', 'stage4', 'scratch'];
  const before = await snapshot(page, kinds);
  assert.equal(before.images.length, 10);
  assert.ok(before.results.every(([s]) => s === 'fresh'));

  await page.reload();
  await waitReady(page);
  assert.ok(await page.isVisible('#restored'));
  assert.deepEqual(await snapshot(page, kinds), before);
  await shot(page, 'restored');
  // The post-stage-3 snapshot came back too: stage 4 again gives the same accuracy.
  // On ten images a run can be over within a frame: wait for the next run to be done.
  const runs = Number((await page.getAttribute('#view-4', 'data-runs')) || 0);
  await page.click('#run-4');
  await page.waitForSelector(`#view-4[data-runs="${runs + 1}"][data-status="done"]`);
  await waitResult(page, 'stage4');
  assert.equal(await testAccuracy(page, 4), before.acc.stage4);

  // Without a link, the saved settings are used: the same results are current.
  const plain = await openPage(context, '');
  const again = await snapshot(plain.page, ['stage3', 'scratch']);
  assert.deepEqual(again.results.map(([s]) => s), ['fresh', 'fresh']);
  assert.equal(again.acc.stage3, before.acc.stage3);
  assert.match(await plain.page.evaluate(() => location.hash), /ep3=2/);
  assert.deepEqual(errors, []);
  assert.deepEqual(plain.errors, []);
  await context.close();
});

test('export -> start over -> import restores the project, the learner\'s model A included', { timeout: 600_000 }, async () => {
  const context = await newContext(browser.get());
  const { page, errors } = await openPage(context, '#ep3=1&seed=9&be=cpu');
  await page.setInputFiles('#model-files', { name: 'my_model_A.h5', mimeType: 'application/octet-stream', buffer: readFileSync('tests/fixtures/keras/my_model_A.tf_keras.h5') });
  await page.waitForSelector('#a-info[data-source="own"]');
  await uploadTen(page);
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  const kinds = ['stage1', 'stage2', 'stage3'];
  const before = await snapshot(page, kinds);
  assert.equal(before.source, 'own');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert.equal(download.suggestedFilename(), 'transfer-playground-project.zip');
  const bytes = readFileSync(await download.path());
  const names = (await unzip(new Uint8Array(bytes))).map((e) => e.name).sort();
  for (const n of ['project.json', 'models/model_A.keras', 'models/model_B_on_A.keras', 'models/model_B_after_stage3.keras', 'images/0_Class_1/0001.png', 'images/1_Class_2/0005.png', 'sources/1_Class_2/0005.png', 'images/inputs.f32', 'images/labels.csv']) {
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  }

  // Start over (two clicks): the page comes back empty.
  await page.click('#start-over');
  assert.equal(await page.getAttribute('#start-over', 'data-armed'), 'true');
  await Promise.all([page.waitForEvent('load'), page.click('#start-over')]);
  await waitReady(page);
  assert.ok(await page.isHidden('#restored'));
  assert.equal(await page.locator('.thumb').count(), 0);
  assert.equal(await page.getAttribute('#stage-3', 'data-state'), 'none');
  assert.equal(await page.getAttribute('#a-info', 'data-source'), 'builtin');
  assert.equal(await page.evaluate(() => location.hash), '');

  const seq = Number(await page.getAttribute('#status', 'data-seq'));
  await page.setInputFiles('#import', { name: 'project.zip', mimeType: 'application/zip', buffer: bytes });
  await page.waitForFunction((n) => Number(document.querySelector('#status').dataset.seq) > n, seq, { timeout: 60_000 });
  assert.equal(await page.getAttribute('#status', 'data-key'), 'session.imported');
  const after = await snapshot(page, kinds);
  assert.deepEqual({ ...after, images: after.images.length }, { ...before, images: before.images.length });
  await shot(page, 'imported');
  // And it is saved: a reload shows it again.
  await page.reload();
  await waitReady(page);
  assert.equal((await snapshot(page, kinds)).acc.stage3, before.acc.stage3);
  assert.deepEqual(errors, []);
  await context.close();
});

test('storage that fails is told to the learner and breaks nothing', { timeout: 120_000 }, async () => {
  // No IndexedDB at all (as in some private modes).
  const none = await openPage(browser.get(), '#be=cpu', { init: () => { Object.defineProperty(window, 'indexedDB', { value: undefined }); } });
  assert.ok(await none.page.isVisible('#storage-note'));
  assert.equal(await none.page.getAttribute('#storage-note', 'data-code'), 'STORAGE_UNAVAILABLE');
  await none.page.click('#run-1');
  await waitResult(none.page, 'stage1');
  assert.deepEqual(none.errors, []);
  // A full quota: every write fails as a full disk does.
  const full = await openPage(browser.get(), '#be=cpu', {
    init: () => { IDBObjectStore.prototype.put = function put() { throw new DOMException('the quota has been exceeded', 'QuotaExceededError'); }; },
  });
  await full.page.click('#run-1');
  await waitResult(full.page, 'stage1');
  await full.page.waitForSelector('#storage-note:not([hidden])');
  assert.equal(await full.page.getAttribute('#storage-note', 'data-code'), 'STORAGE_QUOTA');
  await full.page.click('#run-2');
  await waitResult(full.page, 'stage2');
  await shot(full.page, 'storage-full', 'header');
  assert.deepEqual(full.errors, []);
});

test('a damaged saved model does not stop the page: it says so and goes on', { timeout: 120_000 }, async () => {
  const context = await newContext(browser.get());
  const { page } = await openPage(context, '#ep3=1&n=30&be=cpu');
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  // Damage the saved B in IndexedDB, as a disk error or a half-written save would.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('transfer-playground');
    r.onsuccess = () => {
      const t = r.result.transaction('models', 'readwrite');
      t.objectStore('models').put({ bytes: new Uint8Array([1, 2, 3]) }, 'b');
      t.oncomplete = resolve;
      t.onerror = () => reject(t.error);
    };
  }));
  await page.reload();
  await waitReady(page);
  const code = await page.getAttribute('#status', 'data-code');
  assert.ok(['ENGINE', 'FORMAT'].includes(code), `${code}: ${await page.textContent('#status')}`);
  assert.equal(await page.getAttribute('#a-info', 'data-source'), 'builtin');
  // The page works: stage 3 runs again.
  await page.click('#run-3');
  await page.waitForSelector('#view-3[data-status="running"]');
  await waitResult(page, 'stage3');
  await context.close();
});

test('two tabs: the second reads the project but saves nothing and says so; a reload keeps the first one saving; closed, the second says reload', { timeout: 180_000 }, async () => {
  const context = await newContext(browser.get());
  const first = await openPage(context, '#be=cpu');
  assert.ok(await first.page.isHidden('#storage-note'), 'the first tab saves');
  await first.page.fill('#class-name-0', 'alpha');
  await first.page.waitForTimeout(800); // a name is saved a moment after the typing stops
  const second = await openPage(context, '#be=cpu');
  assert.equal(await second.page.getAttribute('#storage-note', 'data-code'), 'OPEN_ELSEWHERE');
  assert.ok(await second.page.isVisible('#storage-note'));
  assert.match(await second.page.textContent('#storage-note'), /another tab/);
  assert.equal(await second.page.inputValue('#class-name-0'), 'alpha', 'it reads the saved project');
  await second.page.fill('#class-name-0', 'beta');
  await second.page.fill('#class-name-1', 'gamma');
  await second.page.waitForTimeout(800);
  // The first tab reloaded: it still saves (the second does not take the lock from it),
  // and the second tab's names were never saved.
  await first.page.reload();
  await waitReady(first.page);
  assert.ok(await first.page.isHidden('#storage-note'));
  assert.equal(await first.page.inputValue('#class-name-0'), 'alpha');
  assert.equal(await first.page.inputValue('#class-name-1'), '');
  await second.page.waitForTimeout(4000);
  assert.equal(await second.page.getAttribute('#storage-note', 'data-code'), 'OPEN_ELSEWHERE', 'a reload is not a close');
  // Closed: the second tab says so, and saves once reloaded.
  await first.page.close();
  await second.page.waitForSelector('#storage-note[data-code="OTHER_TAB_CLOSED"]', { timeout: 15_000 });
  assert.match(await second.page.textContent('#storage-note'), /[Rr]eload/);
  await second.page.reload();
  await waitReady(second.page);
  assert.ok(await second.page.isHidden('#storage-note'));
  assert.equal(await second.page.inputValue('#class-name-0'), 'alpha');
  await second.page.fill('#class-name-1', 'delta');
  await second.page.waitForTimeout(800);
  await second.page.reload();
  await waitReady(second.page);
  assert.equal(await second.page.inputValue('#class-name-1'), 'delta', 'now it saves');
  assert.deepEqual(first.errors, []);
  assert.deepEqual(second.errors, []);
  await context.close();
});
