//! Line charts on a <canvas> for the tutorial's outputs: points at real x positions
//! (fractional epochs for per-batch values), a legend, light/dark colours from CSS
//! custom properties. Its own small module rather than www/charts.js, which draws one
//! point per epoch for the playground and is being reworked with that page.

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The series colours of the current theme. */
export function colours() {
  return [css('--c1', '#1f5fbf'), css('--c2', '#c0392b'), css('--c3', '#1e8449'), css('--c4', '#7d3c98')];
}

/**
 * Draws `series` ({label, colour, points: [[x, y], ...], dashed?, dots?}) on `canvas`.
 * x runs from `xMin` to the largest x (at least `xMax`); y from `yMin` to `yMax` (or
 * the data's maximum).
 */
export function drawLines(canvas, { title = '', series, xMin = 0, xMax = 1, yMin = 0, yMax, xLabel = '' }) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 360;
  const h = canvas.clientHeight || 200;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const fg = css('--fg', '#222');
  const grid = css('--grid', '#ddd');
  const pad = { l: 44, r: 10, t: 26, b: 24 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const right = Math.max(xMax, ...xs);
  const top = yMax ?? (ys.length ? Math.max(1e-6, ...ys) * 1.05 : 1);
  const X = (v) => pad.l + ((v - xMin) / Math.max(1e-9, right - xMin)) * (w - pad.l - pad.r);
  const Y = (v) => pad.t + (1 - (v - yMin) / Math.max(1e-9, top - yMin)) * (h - pad.t - pad.b);
  g.font = '13px system-ui, "Noto Sans KR", "Noto Sans CJK KR", sans-serif';
  g.fillStyle = fg;
  g.fillText(title, pad.l, 15);
  g.strokeStyle = grid;
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = yMin + ((top - yMin) * k) / 4;
    g.beginPath();
    g.moveTo(pad.l, Y(v));
    g.lineTo(w - pad.r, Y(v));
    g.stroke();
    g.fillText(v.toFixed(2), 4, Y(v) + 4);
  }
  const step = Math.max(1, Math.ceil((right - xMin) / 10));
  // The axis name sits where the first tick would be.
  for (let v = Math.ceil(xMin) + (xLabel ? step : 0); v <= right + 1e-9; v += step) g.fillText(String(v), X(v) - 3, h - 7);
  if (xLabel) g.fillText(xLabel, 4, h - 7);
  let lx = pad.l + g.measureText(title).width + 14;
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = s.thin ? 1.25 : 2.25;
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    s.points.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
    g.stroke();
    g.setLineDash([]);
    if (s.dots) s.points.forEach(([x, y]) => g.fillRect(X(x) - 2.5, Y(y) - 2.5, 5, 5));
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    g.moveTo(lx, 11);
    g.lineTo(lx + 18, 11);
    g.stroke();
    g.setLineDash([]);
    g.fillText(s.label, lx + 22, 15);
    lx += 32 + g.measureText(s.label).width;
  }
}
