// The learner's images as a data set: the split into training and validation images
// (said once, here) and an id that changes whenever the set does, so results trained
// on an earlier set are marked out of date.

/** The class labels present, in order (0 and 1 today; more with named classes). */
function labels(images) {
  return [...new Set(images.map((im) => im.label))].sort((a, b) => a - b);
}

/**
 * Interleaves the classes (so every-5th takes from each), then every 5th image is for
 * validation; the learner's test set is the validation split. `{train, valid}` lists.
 */
export function splitOwn(images) {
  const byClass = labels(images).map((c) => images.filter((im) => im.label === c));
  if (!byClass.length) return { train: [], valid: [] };
  const all = [];
  for (let i = 0; i < Math.max(...byClass.map((l) => l.length)); i++) {
    for (const list of byClass) if (list[i]) all.push(list[i]);
  }
  return { train: all.filter((_, i) => i % 5 !== 4), valid: all.filter((_, i) => i % 5 === 4) };
}

/** Whether the set can be trained on: every class has images, and one is for validation. */
export function usable(images, classes = 2) {
  const { train, valid } = splitOwn(images);
  return labels(images).length === classes && train.length > 0 && valid.length > 0;
}

/** FNV-1a over labels and pixels: the id of this exact set ('own:xxxxxxxx'). */
export function ownDataId(images) {
  let h = 0x811c9dc5;
  const mix = (byte) => { h ^= byte; h = Math.imul(h, 0x01000193); };
  for (const im of images) {
    mix(im.label);
    const b = new Uint8Array(im.data.buffer, im.data.byteOffset, im.data.byteLength);
    for (let i = 0; i < b.length; i++) mix(b[i]);
  }
  return `own:${(h >>> 0).toString(16).padStart(8, '0')}:${images.length}`;
}
