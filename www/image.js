// Turns any decodable image into a model input: crop, resize without aliasing, and
// convert to the model's channel count. Runs in the worker (OffscreenCanvas), so a
// huge photo never blocks the page.
//
// Decisions, stated on the page too:
// - Aspect ratio: CENTER CROP to the model's aspect ratio (square for 28x28), so the
//   object is not squashed; the edges of a non-square image are cut off.
// - Shrinking: repeated halving. Bilinear sampling at exactly 1/2 averages each 2x2
//   block (a box filter), so halving until the image is less than twice the target and
//   doing one last bilinear step never skips source pixels (no aliasing, no moire).
// - Colour to grayscale: luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), the
//   weights most grayscale conversions (and PIL's "L" mode) use.
// - Values are scaled to [0, 1] (x / 255), as model A was trained.

export const LUMA = [0.299, 0.587, 0.114];

/** The centred crop rectangle of a w x h source with the aspect ratio of outW x outH. */
export function centerCrop(w, h, outW, outH) {
  const target = outW / outH;
  if (w / h > target) {
    const cw = Math.max(1, Math.round(h * target));
    return { sx: Math.floor((w - cw) / 2), sy: 0, sw: cw, sh: h };
  }
  const ch = Math.max(1, Math.round(w / target));
  return { sx: 0, sy: Math.floor((h - ch) / 2), sw: w, sh: ch };
}

/** Sizes of the halving steps from (w, h) down to (outW, outH), the last being the target. */
export function halvingSteps(w, h, outW, outH) {
  const steps = [];
  while (w >= 2 * outW && h >= 2 * outH) {
    w = Math.ceil(w / 2);
    h = Math.ceil(h / 2);
    steps.push([w, h]);
  }
  steps.push([outW, outH]);
  return steps;
}

function canvas(w, h) {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return [c, ctx];
}

/**
 * Resizes an ImageBitmap to the model's input.
 * @returns {{data: Float32Array, preview: Uint8ClampedArray}} `data` is H*W*C in [0, 1];
 *   `preview` is the same image as RGBA bytes for an <canvas> preview.
 */
export function toModelInput(bitmap, outH, outW, channels, { invert = false } = {}) {
  const { sx, sy, sw, sh } = centerCrop(bitmap.width, bitmap.height, outW, outH);
  let src = bitmap;
  let rect = [sx, sy, sw, sh];
  for (const [w, h] of halvingSteps(sw, sh, outW, outH)) {
    const [c, ctx] = canvas(w, h);
    // Transparent pixels count as white paper, not black.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(src, ...rect, 0, 0, w, h);
    src = c;
    rect = [0, 0, w, h];
  }
  const rgba = src.getContext('2d').getImageData(0, 0, outW, outH).data;
  const n = outW * outH;
  const data = new Float32Array(n * channels);
  const preview = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
    if (channels === 1) {
      let y = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
      if (invert) y = 255 - y;
      data[i] = y / 255;
      preview[4 * i] = preview[4 * i + 1] = preview[4 * i + 2] = y;
    } else {
      for (let k = 0; k < channels; k++) {
        let v = [r, g, b][k] ?? 0;
        if (invert) v = 255 - v;
        data[i * channels + k] = v / 255;
        preview[4 * i + k] = v;
      }
    }
    preview[4 * i + 3] = 255;
  }
  return { data, preview };
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
