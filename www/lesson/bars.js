// Grouped bars on a log scale, for how far each layer's weights moved (‖ΔW‖ / ‖W‖ in
// stage 3 and in stage 4): the values span five orders of magnitude (a new output layer
// moves by ~1, a reused layer at learning rate 1e-4 by ~1e-4), so the axis is
// logarithmic, and an exact 0 (a frozen layer) is drawn as a mark on the floor labelled
// "0". Drawn with charts.js's pieces (frame, wrapping legend, grid, redraw on resize).

import { frame, labelRoom, legendLayout, drawLegend, yGrid, drawKept } from '../charts.js';

/** A short text for a relative change: 0, 3.1e-5, 0.012, 1.4. */
export function short(v) {
  if (v === 0) return '0';
  return v >= 0.01 ? v.toPrecision(2) : v.toExponential(1);
}

function draw(canvas, { title, groups, series }) {
  const f = frame(canvas);
  if (!f) return;
  const { g, w, h, fs, lineH, fg } = f;
  const legend = legendLayout(g, title, series.map((s) => s.label), { x0: 6, right: w - 6, lineH, sample: 'box' });
  const values = groups.flatMap((gr) => gr.values).filter((v) => v > 0);
  const top = Math.ceil(Math.log10(Math.max(1, ...values)));
  const bottom = Math.min(top - 1, Math.floor(Math.log10(Math.min(1e-4, ...values))));
  const decades = [];
  for (let d = bottom; d <= top; d++) decades.push(d);
  const left = labelRoom(g, decades.map((d) => `1e${d}`));
  // A line more above the plot: the tallest bar's value is written over it.
  const pad = { l: left + 4, r: 6, t: legend.lines * lineH + lineH + 4, b: lineH + 6 };
  const py = (v) => pad.t + (1 - (Math.log10(v) - bottom) / (top - bottom)) * (h - pad.t - pad.b);
  const floor = h - pad.b;
  const every = Math.max(1, Math.ceil(decades.length / Math.max(2, Math.floor((h - pad.t - pad.b) / (lineH * 1.1)))));
  yGrid(f, decades.filter((_, i) => i % every === 0).map((d) => ({ y: py(10 ** d), label: `1e${d}` })), { left: pad.l, right: w - pad.r });
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
  drawLegend(f, title, series, legend, { x0: 6, sample: 'box' });
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{title: string, groups: {label: string, values: (number|null)[]}[], series: {label: string, color: string}[]}} spec
 */
export function drawBars(canvas, spec) {
  drawKept(canvas, draw, spec);
}
