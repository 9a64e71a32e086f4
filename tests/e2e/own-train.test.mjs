// Training on the learner's own images: a 29-image two-class set reaches a high
// validation accuracy with the settings adapted to its size (the lecture's would give
// stage 3 four SGD steps, and the page says so beside them); three named classes train
// end to end with the softmax head, and the learner's names are in the Keras code, the
// predictions (B after transfer and from scratch), the stale note, the exported TF.js
// model's metadata.json, the .keras archive's metadata.json and the project zip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzip } from '../../www/zip.js';
import { useBrowser, openPage, shot, waitResult, testAccuracy } from './helpers.mjs';
import { shapes, many, waitCounts } from './own-helpers.mjs';

const browser = useBrowser();

test('29 images in two classes: the adapted settings reach a high validation accuracy', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#seed=3&be=cpu');
  await page.fill('#class-name-0', 'disc');
  await page.fill('#class-name-1', 'bar');
  await page.setInputFiles('#files-0', await shapes(page, many('disc', 15)));
  await page.setInputFiles('#files-1', await shapes(page, many('bar', 14, 3)));
  await waitCounts(page, [15, 14]);
  // Stratified: 3 + 2 for validation, 12 + 12 to train on.
  assert.equal(await page.getAttribute('#own-split', 'data-per-class'), '3,2');
  await page.click('#own-use');

  // The learner is moved on: stage 3's button has the focus, and it is in view.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'run-3');
  await page.waitForFunction(() => { const r = document.querySelector('#stage-3').getBoundingClientRect(); return r.top >= -5 && r.top < innerHeight / 2; });
  // Adapted to 24 training images: batch 4 (6 batches an epoch), 9 + 17 epochs.
  assert.deepEqual(await Promise.all(['#n', '#bs', '#ep3', '#ep4'].map((s) => page.inputValue(s))), ['24', '4', '9', '17']);
  const note3 = page.locator('[data-steps-for="stage3"]');
  assert.equal(await note3.getAttribute('data-steps'), '54');
  assert.equal(await note3.getAttribute('data-few'), 'false');
  assert.equal(await note3.getAttribute('data-adapted'), 'true');
  assert.equal(await page.getAttribute('[data-steps-for="stage4"]', 'data-steps'), '102');
  const link = await page.getAttribute('a.adapted-link', 'href');
  assert.match(link, /bs=4/);
  assert.match(link, /ep3=9/);
  await shot(page, 'own-adapted', '#stage-3');

  // The lecture's settings on this set: 4 epochs x 1 batch = 4 steps, flagged beside them.
  for (const [k, v] of [['bs', '32'], ['ep3', '4']]) { await page.fill(`#${k}`, v); await page.press(`#${k}`, 'Tab'); }
  assert.equal(await note3.getAttribute('data-steps'), '4');
  assert.equal(await note3.getAttribute('data-few'), 'true');
  assert.match(await note3.textContent(), /= only 4 SGD steps/);
  assert.match(await note3.textContent(), /suggests batch size 4 and 9 \+ 17 epochs/);
  await shot(page, 'own-few-steps', '#stage-3 .controls + .steps-note');
  await page.click('#run-3');
  await waitResult(page, 'stage3');
  const lecture = await testAccuracy(page, 3); // the learner's test set is the validation split
  // The link gives the adapted settings back.
  await page.evaluate((h) => { location.hash = h; }, link);
  await page.waitForFunction(() => document.querySelector('#bs').value === '4' && document.querySelector('#ep3').value === '9');
  await page.waitForSelector('#stage-3[data-state="stale"]');

  await page.click('#run-3');
  await waitResult(page, 'stage3');
  const acc = await testAccuracy(page, 3);
  console.log(`validation accuracy after stage 3: ${lecture} with the lecture's settings (4 steps), ${acc} adapted (54 steps)`);
  assert.ok(acc >= 0.8, `validation accuracy ${acc} >= 0.8`);
  assert.ok(acc > lecture, 'the adapted settings do better than the lecture\'s on this set');
  assert.equal(await page.locator('#log-3 li').count(), 9);
  assert.deepEqual(errors, []);
  await page.close();
});

test('three named classes: softmax head end to end; the names in the code, the predictions and the exports', { timeout: 420_000 }, async () => {
  const { page, errors } = await openPage(browser.get(), '#seed=5&be=cpu');
  const names = ['circle', 'bar', '십자 cross'];
  await page.click('#class-add'); // names typed while the class is being added are kept
  for (const [k, name] of names.entries()) await page.fill(`#class-name-${k}`, name);
  const files = { disc: await shapes(page, many('disc', 8)), bar: await shapes(page, many('bar', 7, 2)), cross: await shapes(page, many('cross', 7, 4)) };
  await page.setInputFiles('#files-0', files.disc.slice(0, 7));
  await page.setInputFiles('#files-1', files.bar);
  await page.setInputFiles('#files-2', files.cross);
  await waitCounts(page, [7, 7, 7]);
  await page.click('#own-use');
  assert.equal(await page.getAttribute('#own-scenario', 'data-state'), 'ok');
  assert.match(await page.textContent('#code-2'), /class_names = \["circle","bar","십자 cross"\]/);
  assert.match(await page.textContent('#code-2'), /Dense\(3, activation="softmax"\)/);
  assert.match(await page.textContent('#code-3'), /loss="sparse_categorical_crossentropy"/);

  await page.click('#run-4'); // stages 1, 2 and 3 run first
  await waitResult(page, 'stage4');
  assert.match(await page.textContent('#result-2'), /added Dense\(3, softmax\)/);
  assert.match(await page.textContent('#b-layers tbody tr:last-child'), /\(None, 3\)/);
  const acc4 = await testAccuracy(page, 4);
  assert.match(await page.textContent('[data-trained-on="stage4"]'), /circle 6 \+ 1, bar 6 \+ 1, 십자 cross 6 \+ 1 \(18 \+ 3 in all\)/);
  await page.click('#run-5');
  await waitResult(page, 'scratch');
  console.log(`three classes: transfer ${acc4}, from scratch ${await testAccuracy(page, 5)}`);

  // A new upload: each model's probability of every class, by the learner's names.
  await page.setInputFiles('#pred-file', files.disc[7]);
  await page.waitForSelector('#pred-out[data-source="upload"]');
  const bars = await page.$$eval('#pred-bars figure.bars', (figs) => figs.map((f) => ({
    model: f.dataset.model, top: f.dataset.top,
    rows: [...f.querySelectorAll('.bar-row')].map((r) => [r.querySelector('.bar-name').textContent, Number(r.dataset.p)]),
  })));
  assert.deepEqual(bars.map((b) => b.model), ['b', 'scratch']);
  for (const b of bars) {
    assert.deepEqual(b.rows.map(([n]) => n), names);
    const sum = b.rows.reduce((s, [, p]) => s + p, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to 1: ${sum}`);
  }
  assert.equal(bars[0].top, 'circle', `B after transfer calls a new disc a circle: ${JSON.stringify(bars[0].rows)}`);
  assert.match(await page.textContent('#pred-out'), /circle, probability 0\.\d{4}/);
  await shot(page, 'own-predict', '#predict');
  // A validation image by index: its true class by name.
  await page.fill('#pred-index', '2');
  await page.click('#pred-run');
  await page.waitForSelector('#pred-out[data-source="test"]');
  assert.match(await page.textContent('#pred-out'), /true class: 십자 cross/);

  // The exported TF.js model carries the names (metadata.json, as Teachable Machine's).
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await page.click('#stage-4 button[data-download="b"][data-format="tfjs"]');
  await page.waitForFunction(() => document.querySelector('#status').dataset.key === 'dl.done');
  await new Promise((r) => setTimeout(r, 500));
  const got = Object.fromEntries(await Promise.all(downloads.map(async (d) => [d.suggestedFilename(), readFileSync(await d.path())])));
  assert.deepEqual(Object.keys(got).sort(), ['metadata.json', 'model.json', 'weights.bin']);
  const meta = JSON.parse(got['metadata.json'].toString('utf8'));
  assert.deepEqual(meta.labels, names);
  assert.deepEqual(meta.inputShape, [28, 28, 1]);
  const topology = JSON.parse(got['model.json'].toString('utf8')).modelTopology;
  const layers = (topology.model_config ?? topology).config.layers;
  assert.deepEqual([layers.at(-1).config.units, layers.at(-1).config.activation], [3, 'softmax']);

  // The .keras archive carries them in its metadata.json (beside Keras' own keys).
  const [keras] = await Promise.all([page.waitForEvent('download'), page.click('#stage-4 button[data-download="b"][data-format="keras"]')]);
  const archive = new Map((await unzip(new Uint8Array(readFileSync(await keras.path())))).map((e) => [e.name, e.bytes]));
  const kerasMeta = JSON.parse(new TextDecoder().decode(archive.get('metadata.json')));
  assert.deepEqual(kerasMeta.class_names, names);
  assert.ok(kerasMeta.keras_version);

  // The project zip: folders and labels.csv by name.
  const [zipped] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const entries = new Map((await unzip(new Uint8Array(readFileSync(await zipped.path())))).map((e) => [e.name, e.bytes]));
  for (const n of ['images/0_circle/0001.png', 'images/1_bar/0007.png', 'images/2_십자_cross/0001.png', 'sources/2_십자_cross/0007.png']) assert.ok(entries.has(n), `${n} in the zip`);
  const csv = new TextDecoder().decode(entries.get('images/labels.csv')).split('\n');
  assert.equal(csv[0], 'file,label,class,name');
  assert.ok(csv.some((l) => l.startsWith('"images/2_십자_cross/0001.png",2,"십자 cross",')), csv.slice(0, 3).join('\n'));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(entries.get('project.json'))).classes.map((c) => c.name), names);
  // The saved models too: B after stage 3 and after stage 4, and B from scratch.
  for (const f of ['models/model_B_after_stage3.keras', 'models/model_B_on_A.keras', 'models/model_B_scratch.keras']) {
    const inner = new Map((await unzip(entries.get(f))).map((e) => [e.name, e.bytes]));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(inner.get('metadata.json'))).class_names, names, f);
  }

  // One more circle: the results are out of date, and the note says how the classes changed.
  await page.setInputFiles('#files-0', files.disc.slice(7));
  await page.waitForSelector('#stage-3[data-state="stale"]');
  assert.match(await page.textContent('[data-stale-for="stage3"]'), /circle 7, bar 7, 십자 cross 7 → circle 8, bar 7, 십자 cross 7/);
  await page.selectOption('#lang', 'ko');
  await page.setInputFiles('#pred-file', files.cross[0]);
  await page.waitForFunction(() => document.querySelector('#pred-out').textContent.includes('확률'));
  await shot(page, 'own-predict-ko', '#predict');
  assert.deepEqual(errors, []);
  await page.close();
});
