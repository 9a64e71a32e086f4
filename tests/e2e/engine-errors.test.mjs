// Errors from the engine as the page and the tutorial see them (www/errors.js), with the
// real engine under Node: an EngineError keeps its code and params, and a call on a
// handle whose .free() ran (refused by wasm-bindgen's runtime, not by the engine) becomes
// FREED instead of "null pointer passed to rust".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toErrorValue, freedHandle } from '../../www/errors.js';

const tp = await import('../../www/pkg/transfer_playground.js');
tp.initSync({ module: readFileSync(new URL('../../www/pkg/transfer_playground_bg.wasm', import.meta.url)) });
const modelA = () => tp.loadLayersModel(readFileSync(new URL('../../www/assets/model-a/model.json', import.meta.url), 'utf8'),
  readFileSync(new URL('../../www/assets/model-a/weights.bin', import.meta.url)));

function thrown(f) {
  try { f(); } catch (e) { return e; }
  throw new Error('expected a throw');
}

test('a method on a freed model, layer or fit run is FREED, with a message that says so', () => {
  const a = modelA();
  const layer = a.layers[0];
  const run = (() => {
    a.compile({ optimizer: 'sgd', learningRate: 0.01, loss: 'sparseCategoricalCrossentropy' });
    return a.fit({ data: new Float32Array(2 * 784), shape: [2, 28, 28, 1] }, { data: new Float32Array(2), shape: [2] }, { epochs: 1 });
  })();
  run.free();
  layer.free();
  a.free();
  for (const call of [() => a.summary(), () => layer.getWeights(), () => run.step()]) {
    const v = toErrorValue(thrown(call));
    assert.equal(v.code, 'FREED');
    assert.match(v.message, /freed/);
  }
});

test('engine errors keep their code and params; other errors are not taken for FREED', () => {
  const a = modelA();
  const e = thrown(() => a.predict({ data: new Float32Array(28 * 28 * 3), shape: [1, 28, 28, 3] }));
  assert.equal(e.name, 'EngineError');
  const v = toErrorValue(e);
  assert.equal(v.code, e.code);
  assert.equal(freedHandle(e), null);
  assert.equal(freedHandle(new Error('something else')), null);
  a.free();
});
