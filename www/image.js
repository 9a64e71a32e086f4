// Model inputs shown as pictures. Resizing is not here: the one resizing policy is the
// engine's (`imageToInput` / `resizeImages`, src/image.rs), used by the worker for
// uploads and webcam frames, by the built-in set at another model A's shape, and by the
// deck's resize demo. What is here asks for it and shows it: one picture prepared as a
// model's input (the way uploads are), the part of a picture the engine keeps (for the
// box drawn on a webcam frame and on the deck's resize slide), and a float image as RGBA.

/**
 * One picture (`{name, blob}`, a file, or `{name, bitmap}`, a frame, which is
 * transferred) as the input of a model whose input is `shape`, prepared by the worker
 * the way uploads are (decoded, checked against the limits, resized by the engine, with
 * the project's invert): `{data, shape}`. Throws the reason it was skipped.
 */
export async function prepareOne(ctx, item, shape) {
  const transfer = item.bitmap ? [item.bitmap] : undefined;
  const r = await ctx.engine.call('prepareImages', { files: [{ ...item, label: 0 }], invert: !!ctx.project.invert, shape }, transfer);
  if (!r.images.length) throw r.skipped[0].error;
  return { data: r.images[0].data, shape: r.shape };
}

/**
 * The part of a w x h picture the resizing keeps for an outW x outH input: the centred
 * crop to the input's aspect ratio, in fractional pixels, as src/image.rs computes it
 * (the engine does the real crop; this is for drawing the box).
 */
export function cropRect(w, h, outW, outH) {
  const src = w / h;
  const dst = outW / outH;
  if (src > dst) { const cw = h * dst; return { x: (w - cw) / 2, y: 0, w: cw, h }; }
  const ch = w / dst;
  return { x: 0, y: (h - ch) / 2, w, h: ch };
}

/** RGBA preview bytes of a float image (H*W*C in [0, 1]). */
export function floatToRGBA(data, h, w, channels) {
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) out[4 * i + k] = 255 * data[i * channels + (channels === 1 ? 0 : k)];
    out[4 * i + 3] = 255;
  }
  return out;
}
