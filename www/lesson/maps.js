// Pictures of what a layer computes, drawn on a <canvas> (CSS scales it up with
// `image-rendering: pixelated`): a layer's feature maps as one grayscale tile per
// channel, each normalised to its own range (black = its smallest value, white = its
// largest, a constant map grey), and convolution filters as tiles on a shared,
// zero-centred scale (grey = 0, white = the largest positive weight, black = the most
// negative), so two models' filters are comparable. Pure drawing: no state.

const GAP = 1;

/** Tiles per row for `count` tiles: the most square grid, wider than tall. */
export function gridFor(count) {
  const cols = Math.ceil(Math.sqrt(count));
  return { cols, rows: Math.ceil(count / cols) };
}

/** Channel `c`'s min and max in an NHWC map of one image (`data` is `h x w x channels`). */
export function channelRange(data, channels, c) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = c; i < data.length; i += channels) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The grey level (0..255) of `v` in a map whose range is [lo, hi]. */
export function grey(v, lo, hi) {
  return hi > lo ? Math.round(((v - lo) / (hi - lo)) * 255) : 128;
}

/**
 * Draws one image's feature maps (`data`: `h x w x channels`, NHWC) as a grid of tiles;
 * returns each channel's `[min, max]`.
 */
export function drawMaps(canvas, data, [h, w, channels]) {
  const { cols, rows } = gridFor(channels);
  canvas.width = cols * (w + GAP) - GAP;
  canvas.height = rows * (h + GAP) - GAP;
  const g = canvas.getContext('2d');
  const img = g.createImageData(canvas.width, canvas.height);
  img.data.fill(0);
  const ranges = [];
  for (let c = 0; c < channels; c++) {
    const [lo, hi] = channelRange(data, channels, c);
    ranges.push([lo, hi]);
    const x0 = (c % cols) * (w + GAP);
    const y0 = Math.floor(c / cols) * (h + GAP);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = grey(data[(y * w + x) * channels + c], lo, hi);
        const o = ((y0 + y) * canvas.width + x0 + x) * 4;
        img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
        img.data[o + 3] = 255;
      }
    }
  }
  g.putImageData(img, 0, 0);
  canvas.dataset.channels = String(channels);
  canvas.dataset.tile = `${h}x${w}`;
  canvas.dataset.cols = String(cols);
  return ranges;
}

/** The largest |weight| of a kernel `{shape: [kh, kw, in, filters], data}`. */
export function largest(kernel) {
  let m = 0;
  for (const v of kernel.data) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Draws a convolution's filters (`kernel`: `[kh, kw, in, filters]`, Keras' layout) as one
 * tile per filter on the scale [-scale, scale]: grey for one input channel, colour for
 * three (each channel its own colour), the mean over the channels otherwise.
 */
export function drawFilters(canvas, kernel, scale) {
  const [kh, kw, cin, nf] = kernel.shape;
  const { cols, rows } = gridFor(nf);
  canvas.width = cols * (kw + GAP) - GAP;
  canvas.height = rows * (kh + GAP) - GAP;
  const g = canvas.getContext('2d');
  const img = g.createImageData(canvas.width, canvas.height);
  const level = (v) => Math.max(0, Math.min(255, Math.round(128 + (v / (scale || 1)) * 127)));
  const at = (y, x, i, f) => kernel.data[((y * kw + x) * cin + i) * nf + f];
  for (let f = 0; f < nf; f++) {
    const x0 = (f % cols) * (kw + GAP);
    const y0 = Math.floor(f / cols) * (kh + GAP);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const o = ((y0 + y) * canvas.width + x0 + x) * 4;
        if (cin === 3) {
          for (let i = 0; i < 3; i++) img.data[o + i] = level(at(y, x, i, f));
        } else {
          let sum = 0;
          for (let i = 0; i < cin; i++) sum += at(y, x, i, f);
          img.data[o] = img.data[o + 1] = img.data[o + 2] = level(sum / cin);
        }
        img.data[o + 3] = 255;
      }
    }
  }
  g.putImageData(img, 0, 0);
  canvas.dataset.filters = String(nf);
}

/**
 * An image `{data, shape: [h, w, c]}` on a canvas, as the model sees it: `data` in [0, 1]
 * (a model input; `max` 1) or bytes (`max` 255).
 */
export function drawImage(canvas, { data, shape: [h, w, c] }, max = 1) {
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  const img = g.createImageData(w, h);
  const v = (k) => Math.round((data[k] * 255) / max);
  for (let p = 0; p < w * h; p++) {
    for (let i = 0; i < 3; i++) img.data[p * 4 + i] = v(p * c + (c === 3 ? i : 0));
    img.data[p * 4 + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}
