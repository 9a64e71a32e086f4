// The TF.js round trip in the browser: models exported by this engine in the TF.js
// layers format (model A as shipped, and a model B with a frozen base after some
// training) are loaded by @tensorflow/tfjs itself (tf.loadLayersModel) in headless
// Chromium, and both predict the same on the task-B test images. Uses the benchmark
// page, which loads TF.js from node_modules, with no benchmark selected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch } from './helpers.mjs';

test('tf.loadLayersModel reads our exports and predicts what we predict', { timeout: 180_000 }, async () => {
  const browser = await launch();
  const page = await browser.newPage();
  await page.goto(`${BASE}/www/bench.html?only=none`);
  await page.waitForFunction(() => window.benchDone === true, null, { timeout: 60_000 });
  const r = await page.evaluate(async () => {
    const tp = await import('./pkg/transfer_playground.js');
    await tp.default();
    await tf.setBackend('cpu');
    const json = await (await fetch('assets/model-a/model.json')).text();
    const weights = new Uint8Array(await (await fetch('assets/model-a/weights.bin')).arrayBuffer());
    const test = tp.loadImageSet(new Uint8Array(await (await fetch('assets/task-b/test.tpds')).arrayBuffer()));
    const n = 32;
    const x = { data: test.x.data.slice(0, n * 784), shape: [n, 28, 28, 1] };
    const a = tp.loadLayersModel(json, weights);
    const clone = tp.cloneModel(a);
    clone.setWeights(a.getWeights());
    const b = tp.sequential(clone.layers.slice(0, -1));
    b.add({ className: 'Dense', units: 1, activation: 'sigmoid' });
    b.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
    b.compile({ optimizer: 'sgd', learningRate: 0.01, loss: 'binaryCrossentropy' });
    const run = b.fit(x, { data: test.y.data.slice(0, n), shape: [n] }, { epochs: 2, batchSize: 8 });
    while (run.step().type !== 'done');
    const out = {};
    for (const [name, m] of [['a', a], ['b', b]]) {
      const ours = m.predict(x).data;
      const t = m.toTfjs();
      const doc = JSON.parse(t.modelJson);
      const loaded = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: doc.modelTopology, weightSpecs: doc.weightsManifest[0].weights, weightData: t.weights.slice().buffer,
      }));
      const theirs = await loaded.predict(tf.tensor4d(x.data, x.shape)).data();
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
      out[name] = { max, n: ours.length, layers: loaded.layers.length, trainable: loaded.layers.map((l) => l.trainable) };
    }
    return out;
  });
  assert.equal(r.a.n, 32 * 8);
  assert.ok(r.a.max < 1e-5, `model A: max |ours - tfjs| = ${r.a.max}`);
  assert.equal(r.b.n, 32);
  assert.ok(r.b.max < 1e-5, `model B: max |ours - tfjs| = ${r.b.max}`);
  assert.equal(r.a.layers, 7);
  assert.deepEqual(r.b.trainable, [false, false, false, false, false, false, true]);
  await browser.close();
});
