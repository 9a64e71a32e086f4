// The sweep's chart: test accuracy against the number of training images, on a log x
// axis (10 to 1,000 images are evenly spread), one curve per procedure: the mean over
// the seeds as a line with points, the seeds' range (min to max) as a shaded band.
// Drawn with charts.js's pieces (frame, wrapping legend, grid, lines, redraw on resize).

import { frame, labelRoom, legendLayout, drawLegend, yGrid, stroke, polyline, dots, drawKept, DASH } from '../charts.js';

/** Nice y ticks between lo and hi (0.05 or 0.1 apart, at most `most` of them). */
function yTicks(lo, hi, most) {
  const step = [0.02, 0.05, 0.1, 0.2].find((s) => (hi - lo) / s <= most) ?? 0.25;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

function draw(canvas, { title, series, sizes }) {
  const f = frame(canvas);
  if (!f) return;
  const { g, w, h, lineH } = f;
  const entries = series.map((s) => ({ label: s.label, color: s.color, dash: s.dashed ? DASH : [] }));
  const legend = legendLayout(g, title, entries.map((e) => e.label), { x0: 6, right: w - 6, lineH });
  const all = series.flatMap((s) => s.points.flatMap((p) => [p.min, p.max]));
  const lo = all.length ? Math.max(0, Math.floor(Math.min(...all) * 10) / 10) : 0.5;
  const steps = Math.max(1, Math.min(5, Math.floor((h - (legend.lines + 1.5) * lineH) / (lineH * 1.2))));
  const ticks = yTicks(lo, 1, steps);
  const left = labelRoom(g, ticks.map((v) => v.toFixed(2)));
  const pad = { l: left + 4, r: 10, t: legend.lines * lineH + 6, b: lineH + 6 };
  const xs = sizes.length ? sizes : [10, 1000];
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const px = (n) => pad.l + (x1 === x0 ? (w - pad.l - pad.r) / 2 : ((Math.log10(n) - x0) / (x1 - x0)) * (w - pad.l - pad.r));
  const py = (v) => pad.t + (1 - (v - lo) / (1 - lo || 1)) * (h - pad.t - pad.b);
  yGrid(f, ticks.map((v) => ({ y: py(v), label: v.toFixed(2) })), { left: pad.l, right: w - pad.r });
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
    // The band: min to max over the seeds.
    if (pts.length) {
      g.fillStyle = s.color;
      g.globalAlpha = 0.18;
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(px(p.x), py(p.max)) : g.moveTo(px(p.x), py(p.max))));
      [...pts].reverse().forEach((p) => g.lineTo(px(p.x), py(p.min)));
      g.closePath();
      g.fill();
      g.globalAlpha = 1;
    }
    const means = pts.map((p) => [px(p.x), py(p.mean)]);
    stroke(g, entries[k]);
    polyline(g, means);
    g.setLineDash([]);
    dots(g, means, 5, s.color);
  });
  drawLegend(f, title, entries, legend, { x0: 6 });
  canvas.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, sizes: number[], series: {label: string, color: string, dashed?: boolean,
 *   points: {x: number, mean: number, min: number, max: number}[]}[]}} spec
 */
export function drawSweepChart(canvas, spec) {
  drawKept(canvas, draw, spec);
}
