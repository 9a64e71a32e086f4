// Data sets in the worker: the built-in task B and the learner's images, both resized
// to model A's input (the lecture's preprocessing rule). The learner's files become
// model inputs in worker-images.js.
import { S, setsFor } from './worker-session.js';

/** A set `{count, x, y}` at A's input shape (e.g. 28x28x1 -> 64x64x3). */
function fit(set) {
  const [h, w, c] = S.a.inputShape;
  const [, sh, sw, sc] = set.x.shape;
  if (sh === h && sw === w && sc === c) return set;
  return { ...set, height: h, width: w, channels: c, x: S.tp.resizeImages(set.x, h, w, c) };
}

/** Recomputes both scenarios' sets for the current A. */
export function adaptSets() {
  const b = S.builtinRaw;
  S.sets.builtin = { train: fit(b.train), valid: fit(b.valid), test: fit(b.test) };
  const o = S.ownRaw;
  // The learner's test set is its validation split: there are too few images for three.
  S.sets.own = o ? { train: fit(o.train), valid: fit(o.valid), test: fit(o.valid) } : null;
}

/** `{train: [{data, label}], valid: [...], shape, classes}` from the page -> image sets. */
function makeSets({ train, valid, shape }) {
  const [h, w, c] = shape;
  const per = h * w * c;
  const make = (list) => {
    const x = new Float32Array(list.length * per);
    list.forEach((im, i) => x.set(im.data, i * per));
    return { count: list.length, x: { data: x, shape: [list.length, h, w, c] }, y: { data: Float32Array.from(list.map((im) => im.label)), shape: [list.length] } };
  };
  return { train: make(train), valid: make(valid) };
}

export const dataCommands = {
  /** The learner's images split by the page (or null: none). */
  useData({ own }) {
    S.ownRaw = own && own.train.length && own.valid.length ? makeSets(own) : null;
    S.ownClasses = own?.classes ?? 2;
    adaptSets();
    return { own: S.sets.own ? { train: S.sets.own.train.count, valid: S.sets.own.valid.count } : null };
  },

  /** A test image of a scenario as pixels plus its label (for the predict picker). */
  testImage({ index, scenario }) {
    const t = setsFor(scenario).test;
    const per = t.x.data.length / t.count;
    const i = Math.max(0, Math.min(t.count - 1, index | 0));
    return { index: i, data: t.x.data.slice(i * per, (i + 1) * per), shape: t.x.shape.slice(1), label: t.y.data[i] };
  },
};
