// The engine's CPU path compiled to WebAssembly, timed under Node (same wasm as the
// page; V8 like Chromium): training images/s for model A's architecture.
// Usage: node tests/bench/wasm-node-bench.mjs [pkg dir, default www/pkg] [n]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = resolve(process.argv[2] || 'www/pkg');
const n = Number(process.argv[3] || 1024);
const tp = await import(pathToFileURL(join(pkg, 'transfer_playground.js')).href);
tp.initSync({ module: readFileSync(join(pkg, 'transfer_playground_bg.wasm')) });
const json = readFileSync('www/assets/model-a/model.json', 'utf8');
const weights = readFileSync('www/assets/model-a/weights.bin');
let s = 12345;
const rand = () => ((s ^= s << 13, s ^= s >>> 17, s ^= s << 5) >>> 0) / 4294967296;
const x = { data: new Float32Array(n * 784).map(rand), shape: [n, 28, 28, 1] };
const y = { data: new Float32Array(n).map((_, i) => i % 8), shape: [n] };
for (const frozen of [false, true]) {
  for (const batch of [32, 128]) {
    const m = tp.loadLayersModel(json, weights);
    if (frozen) m.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
    m.compile({ optimizer: 'sgd', learningRate: 0.01, momentum: 0.9, loss: 'sparseCategoricalCrossentropy' });
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now();
      const run = m.fit(x, y, { epochs: 1, batchSize: batch });
      while (run.step().type !== 'done');
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`${frozen ? 'frozen base' : 'full model'}\tbatch ${batch}\t${Math.round(n / (best / 1000))} images/s`);
  }
}
