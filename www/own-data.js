// The learner's images as a data set: the stratified split into training and
// validation images (said once, here), whether the set can be trained on, and an id
// that changes whenever the set does, so results trained on an earlier set are marked
// out of date. An image's `label` is the index of its class in the project's list.

/**
 * Which of a class's `n` images (in the order they were added) are for validation:
 * every 5th, and at least one as soon as the class has two (the last one), so every
 * class is validated and every class keeps at least one image to train on.
 */
export function isValidation(i, n) {
  if (n < 2) return false;
  return n < 5 ? i === n - 1 : i % 5 === 4;
}

/** The images of each class 0..classes-1, in the order they were added. */
export function byClass(images, classes = 0) {
  const k = Math.max(classes, ...images.map((im) => im.label + 1));
  const out = Array.from({ length: k }, () => []);
  for (const im of images) out[im.label].push(im);
  return out;
}

/**
 * The split, stratified: `{train, valid, perClass: [{train, valid}]}`. Each class gives
 * a fifth of its images (at least one) to validation; the training list interleaves the
 * classes (one of each in turn), so its first `n` images stay balanced when the learner
 * trains on fewer. The learner's test set is the validation split: there are too few
 * images for three sets.
 */
export function splitOwn(images, classes = 0) {
  const groups = byClass(images, classes);
  const perClass = [];
  const trainBy = groups.map((list) => {
    const t = [];
    list.forEach((im, i) => { if (!isValidation(i, list.length)) t.push(im); });
    perClass.push({ train: t.length, valid: list.length - t.length });
    return t;
  });
  const train = [];
  for (let i = 0; i < Math.max(0, ...trainBy.map((l) => l.length)); i++) {
    for (const list of trainBy) if (list[i]) train.push(list[i]);
  }
  const valid = groups.flatMap((list) => list.filter((_, i) => isValidation(i, list.length)));
  return { train, valid, perClass };
}

/** The classes (indices) that hold fewer than the 2 images a class needs (one to train, one to validate). */
export function shortClasses(images, classes) {
  return byClass(images, classes).map((l, i) => [i, l.length]).filter(([, n]) => n < 2).map(([i]) => i);
}

/** Whether the set can be trained on: at least two classes, each with two images or more. */
export function usable(images, classes = 2) {
  return classes >= 2 && images.length > 0 && shortClasses(images, classes).length === 0;
}

/** FNV-1a over the class count, labels and pixels: the id of this exact set ('own:xxxxxxxx:n'). */
export function ownDataId(images, classes = 2) {
  let h = 0x811c9dc5;
  const mix = (byte) => { h ^= byte; h = Math.imul(h, 0x01000193); };
  if (classes > 2) mix(classes & 0xff); // two classes: the id earlier versions saved
  for (const im of images) {
    mix(im.label);
    const b = new Uint8Array(im.data.buffer, im.data.byteOffset, im.data.byteLength);
    for (let i = 0; i < b.length; i++) mix(b[i]);
  }
  return `own:${(h >>> 0).toString(16).padStart(8, '0')}:${images.length}`;
}
