//! The resize demo's worker: decodes an image and turns it into model A's input with
//! the engine's own rule (src/image.rs), so the slide shows exactly what the playground
//! and the engine do (`imageToInput`, RGBA bytes in; its pixel limit is the engine's).
//!
//! in:  {id, blob, invert}
//! out: {id, ok: true, width, height, shape, data, preview, crop: {x, y, w, h}, how, version}
//!    | {id, ok: false, error: {message, code}}

import init, * as tp from '../pkg/transfer_playground.js';
import { cropRect } from '../image.js';

const ready = (async () => {
  await init({ module_or_path: new URL('../pkg/transfer_playground_bg.wasm', import.meta.url) });
  const json = await fetch(new URL('../assets/model-a/model.json', import.meta.url)).then((r) => r.text());
  const weights = new Uint8Array(await fetch(new URL('../assets/model-a/weights.bin', import.meta.url)).then((r) => r.arrayBuffer()));
  const a = tp.loadLayersModel(json, weights);
  const inputShape = a.inputShape; // [height, width, channels]
  a.free();
  return inputShape;
})();

async function resize(blob, invert) {
  const [H, W, C] = await ready;
  const bitmap = await createImageBitmap(blob);
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  // Transparent pixels count as white paper, as in the playground.
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = g.getImageData(0, 0, width, height).data;
  const crop = cropRect(width, height, W, H);
  const r = tp.imageToInput(rgba, width, height, { height: H, width: W, channels: C, invert });
  return { width, height, shape: r.shape, data: r.data, preview: r.preview, crop, how: 'imageToInput' };
}

self.onmessage = async (e) => {
  const { id, blob, invert } = e.data;
  try {
    const r = await resize(blob, Boolean(invert));
    self.postMessage({ id, ok: true, ...r, version: tp.version() });
  } catch (err) {
    self.postMessage({ id, ok: false, error: { message: String(err?.message ?? err), code: err?.code ?? null } });
  }
};
