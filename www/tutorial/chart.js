//! Line charts on a <canvas> for the tutorial's outputs: points at real x positions
//! (fractional epochs for per-batch values), thin or thick, dashed or not, with or
//! without dots. Drawn with the playground's chart pieces (../charts.js: frame, theme
//! colours, text at the canvas's CSS font size, a legend that wraps, grid, redraw on
//! resize); the axes are the tutorial's own: a real-valued x axis named at its start.

import { frame, legendLayout, drawLegend, yGrid, stroke, polyline, dots, drawKept } from '../charts.js';

function draw(canvas, { title = '', series, xMin = 0, xMax = 1, yMin = 0, yMax, xLabel = '' }) {
  const f = frame(canvas, { width: 360, height: 200 });
  if (!f) return;
  const { g, w, h, lineH } = f;
  const entries = series.map((s) => ({ label: s.label, color: s.colour, width: s.thin ? 1.25 : 2.25, dash: s.dashed ? [6, 4] : [] }));
  const legend = legendLayout(g, title, entries.map((e) => e.label), { x0: 44, right: w - 6, lineH });
  const pad = { l: 44, r: 10, t: Math.max(26, legend.lines * lineH + 9), b: 24 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const right = Math.max(xMax, ...xs);
  const top = yMax ?? (ys.length ? Math.max(1e-6, ...ys) * 1.05 : 1);
  const X = (v) => pad.l + ((v - xMin) / Math.max(1e-9, right - xMin)) * (w - pad.l - pad.r);
  const Y = (v) => pad.t + (1 - (v - yMin) / Math.max(1e-9, top - yMin)) * (h - pad.t - pad.b);
  const ticks = Array.from({ length: 5 }, (_, k) => yMin + ((top - yMin) * k) / 4);
  yGrid(f, ticks.map((v) => ({ y: Y(v), label: v.toFixed(2) })), { left: pad.l, right: w - pad.r, labelX: 4 });
  const step = Math.max(1, Math.ceil((right - xMin) / 10));
  // The axis name sits where the first tick would be.
  for (let v = Math.ceil(xMin) + (xLabel ? step : 0); v <= right + 1e-9; v += step) g.fillText(String(v), X(v) - 3, h - 7);
  if (xLabel) g.fillText(xLabel, 4, h - 7);
  series.forEach((s, k) => {
    const points = s.points.map(([x, y]) => [X(x), Y(y)]);
    stroke(g, entries[k]);
    polyline(g, points);
    g.setLineDash([]);
    if (s.dots) dots(g, points, 5, s.colour);
  });
  drawLegend(f, title, entries, legend, { x0: 44, top: 2 });
}

/**
 * Draws `series` ({label, colour, points: [[x, y], ...], dashed?, dots?, thin?}) on
 * `canvas`. x runs from `xMin` to the largest x (at least `xMax`); y from `yMin` to
 * `yMax` (or the data's maximum).
 */
export function drawLines(canvas, spec) {
  drawKept(canvas, draw, spec);
}
