// Charts on a <canvas>: the pieces every chart of the site is drawn with, and the
// playground's loss and accuracy curves. The pieces (used by www/lesson/bars.js,
// www/lesson/sweep-chart.js and www/tutorial/chart.js too): a frame sized to the
// canvas's CSS box at the device's pixel ratio, colours from CSS custom properties (so
// a chart follows the light/dark theme), text at the canvas's CSS font size (so it
// grows with the page's, and an embed's, text), a title and legend that wrap onto more
// lines rather than running off the right edge (`data-legend-fits` says whether they
// fit, for the layout tests), grid lines with their labels, lines and points, and a
// redraw whenever a canvas changes size (an embed sized to its frame).
//
// The curves: per-epoch points for train (solid) and validation (dashed), optionally a
// second run for comparison.

export function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The theme's series colours. */
export function palette() {
  return { a: css('--c1', '#1f77b4'), b: css('--c2', '#d62728'), c: css('--c3', '#2ca02c'), d: css('--c4', '#9467bd') };
}

/** The dash of a dashed series. */
export const DASH = [5, 4];

const kept = new WeakMap(); // canvas -> {draw, spec} last drawn, for redraws on resize
const resized = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => entries.forEach((e) => {
    const k = kept.get(e.target);
    if (k) k.draw(e.target, k.spec);
  }))
  : null;

/** Draws `spec` on `canvas` with `draw(canvas, spec)`, now and whenever the canvas changes size. */
export function drawKept(canvas, draw, spec) {
  if (resized && !kept.has(canvas)) resized.observe(canvas);
  kept.set(canvas, { draw, spec });
  draw(canvas, spec);
}

/**
 * Sizes `canvas` to its CSS box (`width` x `height` where it has none yet) at the device's
 * pixel ratio, clears it and sets its text: 0.78 of the canvas's CSS font size, at least
 * 9 px. Returns the context `g`, the box `w` x `h` in CSS pixels, the text size `fs`, a
 * line of text `lineH`, and the theme's text and grid colours; null for an empty box.
 */
export function frame(canvas, { width = 320, height = 180 } = {}) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || width;
  const h = canvas.clientHeight || height;
  if (!w || !h) return null;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const style = getComputedStyle(canvas);
  const fs = Math.max(9, Math.round((parseFloat(style.fontSize) || 16) * 0.78));
  g.font = `${fs}px ${style.fontFamily || 'system-ui, sans-serif'}`;
  return { g, w, h, fs, lineH: Math.round(fs * 1.3), fg: css('--fg', '#222'), grid: css('--grid', '#ccc') };
}

/** The room the widest of `labels` needs left of the plot (6 px to spare). */
export function labelRoom(g, labels) {
  return 6 + Math.max(...labels.map((l) => g.measureText(l).width));
}

// A legend entry's sample and the room it takes before its label: a short line (a
// series' colour, width and dash) or a filled box (a bar's colour).
const SWATCH = { line: 19, box: 14 };

/**
 * Lays out the title and legend `labels` left to right from `x0`, wrapping to a new line
 * (back at `x0`) where an entry would pass `right`. Returns each entry's position (`y`
 * from the legend's top) and the lines used.
 */
export function legendLayout(g, title, labels, { x0, right, lineH, sample = 'line' }) {
  const at = [];
  let x = x0 + g.measureText(title).width + 12;
  let line = 0;
  for (const label of labels) {
    const w = SWATCH[sample] + g.measureText(label).width;
    if (x + w > right && x > x0) { line += 1; x = x0; }
    at.push({ x, y: line * lineH });
    x += w + 10;
  }
  return { at, lines: line + 1 };
}

/**
 * Draws the title at `x0` and the legend `entries` ({label, color, width?, dash?}) where
 * `layout` (from legendLayout) put them, `top` px down. Line samples take the entry's
 * stroke and its label its colour; box samples are filled and labelled in the text
 * colour. Marks the canvas with how many lines the legend took and whether it fits.
 */
export function drawLegend(f, title, entries, layout, { x0, top = 0, sample = 'line' }) {
  const { g, w, fs, fg } = f;
  g.fillStyle = fg;
  g.fillText(title, x0, top + fs);
  entries.forEach((e, k) => {
    const pos = { x: layout.at[k].x, y: top + layout.at[k].y };
    if (sample === 'box') {
      g.fillStyle = e.color;
      g.fillRect(pos.x, pos.y + fs * 0.2, 10, fs * 0.75);
      g.fillStyle = fg;
    } else {
      stroke(g, e);
      g.beginPath();
      g.moveTo(pos.x, pos.y + fs * 0.65);
      g.lineTo(pos.x + 16, pos.y + fs * 0.65);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = e.color;
    }
    g.fillText(e.label, pos.x + SWATCH[sample], pos.y + fs);
  });
  g.canvas.dataset.legendLines = String(layout.lines);
  g.canvas.dataset.legendFits = String(entries.every((e, k) => layout.at[k].x + SWATCH[sample] + g.measureText(e.label).width <= w + 0.5));
}

/**
 * Horizontal grid lines from `left` to `right` at each tick's `y`, each with its `label`
 * at `labelX` (text colour).
 */
export function yGrid(f, ticks, { left, right, labelX = 2 }) {
  const { g, fs, fg, grid } = f;
  g.strokeStyle = grid;
  g.lineWidth = 1;
  g.fillStyle = fg;
  for (const { y, label } of ticks) {
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(right, y);
    g.stroke();
    g.fillText(label, labelX, y + fs / 3);
  }
}

/** Sets a series' stroke: its colour, `width` (2) and `dash` (solid). */
export function stroke(g, { color, width = 2, dash = [] }) {
  g.strokeStyle = color;
  g.lineWidth = width;
  g.setLineDash(dash);
}

/** A line through `points` ([x, y] in canvas pixels) with the current stroke. */
export function polyline(g, points) {
  g.beginPath();
  points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
}

/** A `size` px square at each of `points`, in `color`. */
export function dots(g, points, size, color) {
  g.fillStyle = color;
  for (const [x, y] of points) g.fillRect(x - size / 2, y - size / 2, size, size);
}

function drawCurves(canvas, { title, series, yMin = 0, yMax, xMax }) {
  const f = frame(canvas);
  if (!f) return;
  const { g, w, h, fs, lineH } = f;
  const n = Math.max(xMax || 0, ...series.map((s) => s.values.length), 1);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = yMax ?? (all.length ? Math.max(1e-6, ...all) * 1.05 : 1);
  // As many y ticks (up to 4 steps) as there is room for without their labels touching.
  const steps = Math.max(1, Math.min(4, Math.floor((h - 2.5 * lineH) / (lineH * 1.2))));
  const ticks = Array.from({ length: steps + 1 }, (_, k) => yMin + ((top - yMin) * k) / steps);
  const left = labelRoom(g, ticks.map((v) => v.toFixed(2)));
  const entries = series.map((s) => ({ label: s.label, color: s.color, dash: s.dashed ? DASH : [] }));
  const legend = legendLayout(g, title, entries.map((e) => e.label), { x0: left, right: w - 6, lineH });
  const pad = { l: left, r: 8, t: legend.lines * lineH + 4, b: lineH + 4 };
  const x = (i) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - yMin) / (top - yMin)) * (h - pad.t - pad.b);
  yGrid(f, ticks.map((v) => ({ y: y(v), label: v.toFixed(2) })), { left: pad.l, right: w - pad.r });
  const every = Math.ceil(n / Math.max(2, Math.min(12, Math.floor((w - pad.l) / (fs * 2.5))))); // ticks that do not touch
  for (let i = 0; i < n; i += every) g.fillText(String(i + 1), x(i) - 3, h - 5);
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => [x(i), y(v)]);
    stroke(g, entries[k]);
    polyline(g, points);
    g.setLineDash([]);
    dots(g, points, 4, s.color);
  });
  drawLegend(f, title, entries, legend, { x0: pad.l });
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, series: {label: string, values: number[], color: string, dashed?: boolean}[], yMin?: number, yMax?: number, xMax?: number}} spec
 */
export function drawChart(canvas, spec) {
  drawKept(canvas, drawCurves, spec);
}
