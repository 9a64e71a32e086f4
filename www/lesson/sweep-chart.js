// The sweep's chart: test accuracy against the number of training images, on a log x
// axis (10 to 1,000 images are evenly spread), one curve per procedure: the mean over
// the seeds as a line with points, the seeds' range (min to max) as a shaded band.
// Styled as charts.js: colours from the theme's CSS properties, text at the canvas's CSS
// font size, a legend that wraps, a redraw when the canvas changes size, and
// `data-legend-fits` for the layout tests.

const specs = new WeakMap();
const resized = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => entries.forEach((e) => { if (specs.has(e.target)) draw(e.target, specs.get(e.target)); }))
  : null;

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Nice y ticks between lo and hi (0.05 or 0.1 apart, at most `most` of them). */
function yTicks(lo, hi, most) {
  const step = [0.02, 0.05, 0.1, 0.2].find((s) => (hi - lo) / s <= most) ?? 0.25;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

function draw(canvas, { title, series, sizes }) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 320;
  const h = canvas.clientHeight || 180;
  if (!w || !h) return;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const style = getComputedStyle(canvas);
  const fs = Math.max(9, Math.round((parseFloat(style.fontSize) || 16) * 0.78));
  g.font = `${fs}px ${style.fontFamily || 'system-ui, sans-serif'}`;
  const lineH = Math.round(fs * 1.3);
  const fg = css('--fg', '#222');
  const grid = css('--grid', '#ccc');
  // The legend: the title, then each series, wrapping onto more lines.
  const swatch = 19;
  const at = [];
  let x = 6 + g.measureText(title).width + 12;
  let line = 0;
  for (const s of series) {
    const sw = swatch + g.measureText(s.label).width;
    if (x + sw > w - 6 && x > 6) { line += 1; x = 6; }
    at.push({ x, y: line * lineH });
    x += sw + 10;
  }
  const all = series.flatMap((s) => s.points.flatMap((p) => [p.min, p.max]));
  const lo = all.length ? Math.max(0, Math.floor(Math.min(...all) * 10) / 10) : 0.5;
  const steps = Math.max(1, Math.min(5, Math.floor((h - (line + 2.5) * lineH) / (lineH * 1.2))));
  const ticks = yTicks(lo, 1, steps);
  const left = 6 + Math.max(...ticks.map((v) => g.measureText(v.toFixed(2)).width));
  const pad = { l: left + 4, r: 10, t: (line + 1) * lineH + 6, b: lineH + 6 };
  const xs = sizes.length ? sizes : [10, 1000];
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const px = (n) => pad.l + (x1 === x0 ? (w - pad.l - pad.r) / 2 : ((Math.log10(n) - x0) / (x1 - x0)) * (w - pad.l - pad.r));
  const py = (v) => pad.t + (1 - (v - lo) / (1 - lo || 1)) * (h - pad.t - pad.b);
  g.fillStyle = fg;
  g.fillText(title, 6, fs);
  g.strokeStyle = grid;
  g.lineWidth = 1;
  for (const v of ticks) {
    g.beginPath();
    g.moveTo(pad.l, py(v));
    g.lineTo(w - pad.r, py(v));
    g.stroke();
    g.fillText(v.toFixed(2), 2, py(v) + fs / 3);
  }
  // Size ticks where they do not touch (log axis: the sizes measured).
  let lastRight = -Infinity;
  for (const n of xs) {
    const label = String(n);
    const tw = g.measureText(label).width;
    const cx = Math.min(w - tw / 2 - 2, Math.max(pad.l + tw / 2, px(n)));
    if (cx - tw / 2 < lastRight + 4) continue;
    g.fillText(label, cx - tw / 2, h - 5);
    lastRight = cx + tw / 2;
  }
  series.forEach((s, k) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    g.fillStyle = s.color;
    g.strokeStyle = s.color;
    // The band: min to max over the seeds.
    if (pts.length) {
      g.globalAlpha = 0.18;
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(px(p.x), py(p.max)) : g.moveTo(px(p.x), py(p.max))));
      [...pts].reverse().forEach((p) => g.lineTo(px(p.x), py(p.min)));
      g.closePath();
      g.fill();
      g.globalAlpha = 1;
    }
    g.lineWidth = 2;
    g.setLineDash(s.dashed ? [5, 4] : []);
    g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(px(p.x), py(p.mean)) : g.moveTo(px(p.x), py(p.mean))));
    g.stroke();
    pts.forEach((p) => g.fillRect(px(p.x) - 2.5, py(p.mean) - 2.5, 5, 5));
    const pos = at[k];
    g.beginPath();
    g.moveTo(pos.x, pos.y + fs * 0.65);
    g.lineTo(pos.x + 16, pos.y + fs * 0.65);
    g.stroke();
    g.setLineDash([]);
    g.fillText(s.label, pos.x + swatch, pos.y + fs);
  });
  canvas.dataset.legendFits = String(series.every((s, k) => at[k].x + swatch + g.measureText(s.label).width <= w + 0.5));
  canvas.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, sizes: number[], series: {label: string, color: string, dashed?: boolean,
 *   points: {x: number, mean: number, min: number, max: number}[]}[]}} spec
 */
export function drawSweepChart(canvas, spec) {
  if (resized && !specs.has(canvas)) resized.observe(canvas);
  specs.set(canvas, spec);
  draw(canvas, spec);
}
