// The lesson's numbers in the worker (issue 12), all from the engine and computed where
// training runs: what each reused layer sees (`featureMaps`: layer outputs of A and of
// B on the GPU or the CPU), the confusion matrix and how far the weights moved in a
// training job (`lessonExtras`, called at the end of every job), and test accuracies
// with their uncertainty (`accuracies`). The data-size sweep is worker-sweep.js.
import { S } from './worker-session.js';
import { computeBackend, noteFallback } from './worker-gpu.js';
import { pageError } from './errors.js';

/** Misclassified test images kept with a result (most confident first), with pixels. */
const GALLERY = 12;

/** Layers whose outputs are feature maps: what the view shows of A and B. */
const MAP_LAYERS = /^(Conv2D|MaxPooling2D|AveragePooling2D)$/;

/**
 * Image `i` of a set as bytes 0..255, `h x w x c` (for thumbnails). A plain array: it is
 * kept in a result, which a project zip stores as JSON.
 */
function pixels(set, i) {
  const per = set.x.data.length / set.count;
  return Array.from(set.x.data.subarray(i * per, (i + 1) * per), (v) => Math.round(v * 255));
}

/**
 * At the end of a training job: the confusion matrix of `model` on the test set (from
 * its probabilities, then the engine's `confusionMatrix`) with the most confident
 * mistakes and their pixels, and how far each layer moved since `before` (a
 * `WeightSnapshot`, freed here). The probabilities are `outputs` where the test gave
 * them (on the CPU, across workers or on one engine), else `predictAsync`'s (the GPU).
 */
export async function lessonExtras(model, sets, before, outputs) {
  const p = outputs ? { ...outputs, backend: 'cpu' } : noteFallback(await model.predictAsync(sets.test.x, { backend: computeBackend() }));
  const c = S.tp.confusionMatrix(p, sets.test.y);
  const movement = before ? model.weightMovementSince(before) : null;
  before?.free();
  return {
    confusion: {
      classes: c.classes, counts: c.counts, examples: c.examples, correct: c.correct, accuracy: c.accuracy,
      backend: p.backend, wrongTotal: c.misclassified.length, shape: sets.test.x.shape.slice(1),
      misclassified: c.misclassified.slice(0, GALLERY).map((m) => ({ ...m, pixels: pixels(sets.test, m.index) })),
    },
    movement,
  };
}

export const lessonCommands = {
  /**
   * What the reused layers see for one image (`{data, shape}` at A's input): every
   * Conv2D and pooling layer's output in A and in B (the trained transfer model), from
   * the engine's `layerOutputsAsync` where training runs; and the first Conv2D layer's
   * kernels of both (`[kh, kw, in, filters]`, Keras' layout).
   */
  async featureMaps({ data, shape }) {
    if (!S.b) throw pageError('NOT_TRAINED', { which: 'b' });
    const bLayers = S.b.layers;
    const layers = bLayers.map((l, i) => [i, l.className]).filter(([, c]) => MAP_LAYERS.test(c)).map(([i]) => i);
    const x = { data, shape: [1, ...shape] };
    const opts = { layers, backend: computeBackend() };
    const a = noteFallback(await S.a.layerOutputsAsync(x, opts));
    const b = noteFallback(await S.b.layerOutputsAsync(x, opts));
    const first = layers.find((i) => bLayers[i].className === 'Conv2D');
    const kernel = (m) => (first === undefined ? null : m.layers[first].getWeights()[0]);
    return {
      layers: a.outputs.map((o, k) => ({ index: o.index, name: o.name, className: o.className, shape: o.shape.slice(1), a: o.data, b: b.outputs[k].data })),
      filters: first === undefined ? null : { index: first, a: kernel(S.a), b: kernel(S.b) },
      backend: b.backend,
    };
  },

  /**
   * Test accuracies with their uncertainty, from the engine: for each pair `{a: {correct,
   * n}, b: {correct, n}}`, both estimates (Wilson's 95 % interval) and whether they
   * differ by more than their combined uncertainty.
   */
  accuracies({ pairs }) {
    return pairs.map(({ a, b }) => ({
      a: S.tp.accuracyEstimate(a.correct, a.n), b: S.tp.accuracyEstimate(b.correct, b.n), difference: S.tp.compareAccuracies(a, b),
    }));
  },
};
