// Grouped bars on a log scale, for how far each layer's weights moved (‖ΔW‖ / ‖W‖ in
// stage 3 and in stage 4): the values span five orders of magnitude (a new output layer
// moves by ~1, a reused layer at learning rate 1e-4 by ~1e-4), so the axis is
// logarithmic, and an exact 0 (a frozen layer) is drawn as a mark on the floor labelled
// "0". Styled as charts.js: theme colours, the canvas's CSS font size, a wrapping
// legend, redrawn on resize, `data-legend-fits` for the layout tests.

const specs = new WeakMap();
const resized = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => entries.forEach((e) => { if (specs.has(e.target)) draw(e.target, specs.get(e.target)); }))
  : null;

function css(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** A short text for a relative change: 0, 3.1e-5, 0.012, 1.4. */
export function short(v) {
  if (v === 0) return '0';
  return v >= 0.01 ? v.toPrecision(2) : v.toExponential(1);
}

function draw(canvas, { title, groups, series }) {
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
  const gridC = css('--grid', '#ccc');
  // Legend after the title, wrapping.
  const at = [];
  let x = 6 + g.measureText(title).width + 12;
  let line = 0;
  for (const s of series) {
    const sw = 14 + g.measureText(s.label).width;
    if (x + sw > w - 6 && x > 6) { line += 1; x = 6; }
    at.push({ x, y: line * lineH });
    x += sw + 10;
  }
  const values = groups.flatMap((gr) => gr.values).filter((v) => v > 0);
  const top = Math.ceil(Math.log10(Math.max(1, ...values)));
  const bottom = Math.min(top - 1, Math.floor(Math.log10(Math.min(1e-4, ...values))));
  const decades = [];
  for (let d = bottom; d <= top; d++) decades.push(d);
  const left = 6 + Math.max(...decades.map((d) => g.measureText(`1e${d}`).width));
  const pad = { l: left + 4, r: 6, t: (line + 1) * lineH + lineH + 4, b: lineH + 6 };
  const py = (v) => pad.t + (1 - (Math.log10(v) - bottom) / (top - bottom)) * (h - pad.t - pad.b);
  const floor = h - pad.b;
  g.fillStyle = fg;
  g.fillText(title, 6, fs);
  g.strokeStyle = gridC;
  g.lineWidth = 1;
  const every = Math.max(1, Math.ceil(decades.length / Math.max(2, Math.floor((h - pad.t - pad.b) / (lineH * 1.1)))));
  decades.forEach((d, i) => {
    if (i % every) return;
    g.beginPath();
    g.moveTo(pad.l, py(10 ** d));
    g.lineTo(w - pad.r, py(10 ** d));
    g.stroke();
    g.fillText(`1e${d}`, 2, py(10 ** d) + fs / 3);
  });
  const gw = (w - pad.l - pad.r) / Math.max(1, groups.length);
  const bw = Math.min(gw / (series.length + 1), fs * 4);
  groups.forEach((gr, k) => {
    const gx = pad.l + k * gw + (gw - bw * series.length) / 2;
    gr.values.forEach((v, j) => {
      if (v === null || v === undefined) return;
      const bx = gx + j * bw;
      g.fillStyle = series[j].color;
      if (v > 0) {
        const y = py(Math.max(v, 10 ** bottom));
        g.fillRect(bx + 1, y, bw - 2, floor - y);
        g.fillStyle = fg;
        const label = short(v);
        g.fillText(label, bx + (bw - g.measureText(label).width) / 2, y - 3);
      } else {
        g.fillRect(bx + 1, floor - 2, bw - 2, 2); // exactly 0: did not move at all
        g.fillStyle = fg;
        g.fillText('0', bx + (bw - g.measureText('0').width) / 2, floor - 5);
      }
    });
    g.fillStyle = fg;
    let name = gr.label;
    while (name.length > 3 && g.measureText(name).width > gw - 4) name = `${name.slice(0, -2)}…`;
    g.fillText(name, pad.l + k * gw + (gw - g.measureText(name).width) / 2, h - 5);
  });
  series.forEach((s, j) => {
    const pos = at[j];
    g.fillStyle = s.color;
    g.fillRect(pos.x, pos.y + fs * 0.2, 10, fs * 0.75);
    g.fillStyle = fg;
    g.fillText(s.label, pos.x + 14, pos.y + fs);
  });
  canvas.dataset.legendFits = String(series.every((s, j) => at[j].x + 14 + g.measureText(s.label).width <= w + 0.5));
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, groups: {label: string, values: (number|null)[]}[], series: {label: string, color: string}[]}} spec
 */
export function drawBars(canvas, spec) {
  if (resized && !specs.has(canvas)) resized.observe(canvas);
  specs.set(canvas, spec);
  draw(canvas, spec);
}
