// Loss and accuracy curves on a <canvas>: per-epoch points for train (solid) and
// validation (dashed), optionally a second run for comparison. Colours come from CSS
// custom properties, so the chart follows the light/dark theme.

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, series: {label: string, values: number[], color: string, dashed?: boolean}[], yMax?: number, xMax?: number}} spec
 */
export function drawChart(canvas, { title, series, yMin = 0, yMax, xMax }) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 320;
  const h = canvas.clientHeight || 180;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const fg = css('--fg', '#222');
  const grid = css('--grid', '#ccc');
  const pad = { l: 40, r: 8, t: 20, b: 22 };
  const n = Math.max(xMax || 0, ...series.map((s) => s.values.length), 1);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = yMax ?? (all.length ? Math.max(1e-6, ...all) * 1.05 : 1);
  const x = (i) => pad.l + (n <= 1 ? 0 : (i / (n - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - yMin) / (top - yMin)) * (h - pad.t - pad.b);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = fg;
  ctx.fillText(title, pad.l, 13);
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = yMin + ((top - yMin) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(w - pad.r, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(2), 2, y(v) + 4);
  }
  const every = Math.ceil(n / 12); // at most ~12 epoch ticks
  for (let i = 0; i < n; i += every) ctx.fillText(String(i + 1), x(i) - 3, h - 6);
  let lx = pad.l + ctx.measureText(title).width + 12;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    s.values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
    s.values.forEach((v, i) => ctx.fillRect(x(i) - 2, y(v) - 2, 4, 4));
    ctx.beginPath();
    ctx.moveTo(lx, 9);
    ctx.lineTo(lx + 16, 9);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillText(s.label, lx + 19, 13);
    lx += 26 + ctx.measureText(s.label).width;
  }
  ctx.setLineDash([]);
}

/** The theme's series colours. */
export function palette() {
  return { a: css('--c1', '#1f77b4'), b: css('--c2', '#d62728'), c: css('--c3', '#2ca02c'), d: css('--c4', '#9467bd') };
}
