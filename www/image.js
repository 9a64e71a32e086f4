// Model inputs shown as pictures. Resizing is not here: the one resizing policy is the
// engine's (`imageToInput` / `resizeImages`, src/image.rs), used by the worker for
// uploads and webcam frames, by the built-in set at another model A's shape, and by the
// deck's resize demo.

/** RGBA preview bytes of a float image (H*W*C in [0, 1]). */
export function floatToRGBA(data, h, w, channels) {
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) out[4 * i + k] = 255 * data[i * channels + (channels === 1 ? 0 : k)];
    out[4 * i + 3] = 255;
  }
  return out;
}
