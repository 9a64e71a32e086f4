// Loss and accuracy curves on a <canvas>: per-epoch points for train (solid) and
// validation (dashed), optionally a second run for comparison. Colours come from CSS
// custom properties, so the chart follows the light/dark theme; the text size is the
// canvas's CSS font size (so it grows with the page's, and an embed's, text), and the
// legend wraps onto more lines rather than running off the right edge. A chart is
// drawn again whenever its canvas changes size (an embed sized to its frame).

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const specs = new WeakMap(); // canvas -> the last spec drawn, for redraws on resize
const resized = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => entries.forEach((e) => { if (specs.has(e.target)) draw(e.target, specs.get(e.target)); }))
  : null;

/**
 * Lays out the title and legend entries left to right from `x0`, wrapping to a new line
 * where an entry would pass `right`. Returns each entry's position and the lines used.
 */
function legendLayout(ctx, title, labels, x0, right, lineH) {
  const swatch = 19; // line sample 16 px + 3 px gap
  const at = [];
  let x = x0 + ctx.measureText(title).width + 12;
  let line = 0;
  for (const label of labels) {
    const w = swatch + ctx.measureText(label).width;
    if (x + w > right && x > x0) { line += 1; x = x0; }
    at.push({ x, y: line * lineH });
    x += w + 10;
  }
  return { at, lines: line + 1 };
}

function draw(canvas, { title, series, yMin = 0, yMax, xMax }) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 320;
  const h = canvas.clientHeight || 180;
  if (!w || !h) return;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const fg = css('--fg', '#222');
  const grid = css('--grid', '#ccc');
  const style = getComputedStyle(canvas);
  const fs = Math.max(9, Math.round((parseFloat(style.fontSize) || 16) * 0.78));
  ctx.font = `${fs}px ${style.fontFamily || 'system-ui, sans-serif'}`;
  const lineH = Math.round(fs * 1.3);
  const n = Math.max(xMax || 0, ...series.map((s) => s.values.length), 1);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = yMax ?? (all.length ? Math.max(1e-6, ...all) * 1.05 : 1);
  // As many y ticks (up to 4 steps) as there is room for without their labels touching.
  const steps = Math.max(1, Math.min(4, Math.floor((h - 2.5 * lineH) / (lineH * 1.2))));
  const ticks = Array.from({ length: steps + 1 }, (_, k) => yMin + ((top - yMin) * k) / steps);
  const left = 6 + Math.max(...ticks.map((v) => ctx.measureText(v.toFixed(2)).width));
  const legend = legendLayout(ctx, title, series.map((s) => s.label), left, w - 6, lineH);
  const pad = { l: left, r: 8, t: legend.lines * lineH + 4, b: lineH + 4 };
  const x = (i) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - yMin) / (top - yMin)) * (h - pad.t - pad.b);
  const base = (line) => line + fs; // text baseline of a legend line starting at `line`
  ctx.fillStyle = fg;
  ctx.fillText(title, pad.l, base(0));
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  for (const v of ticks) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(w - pad.r, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(2), 2, y(v) + fs / 3);
  }
  const every = Math.ceil(n / Math.max(2, Math.min(12, Math.floor((w - pad.l) / (fs * 2.5))))); // ticks that do not touch
  for (let i = 0; i < n; i += every) ctx.fillText(String(i + 1), x(i) - 3, h - 5);
  series.forEach((s, k) => {
    const pos = legend.at[k];
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    s.values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
    s.values.forEach((v, i) => ctx.fillRect(x(i) - 2, y(v) - 2, 4, 4));
    ctx.beginPath();
    ctx.moveTo(pos.x, pos.y + fs * 0.65);
    ctx.lineTo(pos.x + 16, pos.y + fs * 0.65);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillText(s.label, pos.x + 19, base(pos.y));
  });
  ctx.setLineDash([]);
  // For tests: where the legend ended up (lines used, and whether any entry passed the edge).
  canvas.dataset.legendLines = String(legend.lines);
  canvas.dataset.legendFits = String(series.every((s, k) => legend.at[k].x + 19 + ctx.measureText(s.label).width <= w + 0.5));
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, series: {label: string, values: number[], color: string, dashed?: boolean}[], yMin?: number, yMax?: number, xMax?: number}} spec
 */
export function drawChart(canvas, spec) {
  if (resized && !specs.has(canvas)) resized.observe(canvas);
  specs.set(canvas, spec);
  draw(canvas, spec);
}

/** The theme's series colours. */
export function palette() {
  return { a: css('--c1', '#1f77b4'), b: css('--c2', '#d62728'), c: css('--c3', '#2ca02c'), d: css('--c4', '#9467bd') };
}
