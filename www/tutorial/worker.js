//! The tutorial's kernel: a dedicated worker that owns the engine and runs the cells.
//!
//! Messages (page -> worker):
//!   {type: 'init', base}             base: the URL that asset paths are relative to (www/)
//!   {type: 'run', run, code}         run one cell's code (run: a number the page chose)
//!   {type: 'stop'}                   the next `await tick()` in the running cell throws
//! Messages (worker -> page):
//!   {type: 'ready', version, lineOffset} | {type: 'fatal', error}
//!   {type: 'out', run, item}         one output (see `emit`), in order
//!   {type: 'done', run, ok, stopped, error, kept, ms}
//! A cell is an async function sharing one scope with the others (scope.js says how).
//! Learner code runs here and never in the page: the page's Content-Security-Policy
//! forbids compiling strings, and a worker keeps a long `fit` from freezing the page.

import init, * as tp from '../pkg/transfer_playground.js';
import { cellSource, declaredNames, keepDeclared } from './scope.js';
import { freedHandle } from '../errors.js';

const scope = Object.create(null);
let base = null;
let current = null;     // {run, live}: the cell that is running
let stopRequested = false;
let lineOffset = 1;     // the body line where a cell's line 1 lands (measured at init)

class Stopped extends Error {
  constructor() { super('stopped'); this.name = 'Stopped'; }
}

// ---- output ------------------------------------------------------------------------

/** Sends one output item of the running cell to the page. */
function emit(item, transfer = []) {
  if (current) self.postMessage({ type: 'out', run: current.run, item }, transfer);
}

const isTyped = (v) => ArrayBuffer.isView(v) && !(v instanceof DataView);
const isTensor = (v) => v && typeof v === 'object' && isTyped(v.data) && Array.isArray(v.shape);

function num(v) {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** A short, readable text form of any value (typed arrays and tensors abbreviated). */
function inspect(v, depth = 0, top = true) {
  if (typeof v === 'string') return top ? v : JSON.stringify(v);
  if (typeof v === 'number') return num(v);
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
  if (typeof v === 'symbol') return v.toString();
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (v instanceof tp.Model) return `Model "${v.name}": input [${v.inputShape}] -> output [${v.outputShape}], ${v.countParams()[0].toLocaleString('en')} params (show(model) draws its summary)`;
  if (v instanceof tp.Layer) return `Layer ${v.name} (${v.className}), output [${v.outputShape}], ${v.trainable ? 'trainable' : 'frozen'}`;
  if (v instanceof tp.FitRun) return `FitRun: ${v.epochs} epochs x ${v.batchesPerEpoch} batches${v.isDone ? ', done' : ''}`;
  if (isTyped(v)) {
    const head = Array.from(v.slice(0, 8), (x) => (typeof x === 'number' ? num(x) : String(x)));
    return `${v.constructor.name}(${v.length}) [${head.join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  }
  if (isTensor(v) && depth < 3) {
    const rest = Object.keys(v).filter((k) => k !== 'data' && k !== 'shape');
    return `Tensor [${v.shape.join(', ')}] ${inspect(v.data, depth + 1, false)}${rest.length ? ` {${rest.map((k) => `${k}: ${inspect(v[k], depth + 1, false)}`).join(', ')}}` : ''}`;
  }
  if (depth >= 3) return Array.isArray(v) ? '[...]' : '{...}';
  if (Array.isArray(v)) {
    const items = v.slice(0, 20).map((x) => inspect(x, depth + 1, false));
    return `[${items.join(', ')}${v.length > 20 ? `, ... ${v.length - 20} more` : ''}]`;
  }
  if (v instanceof Map) return `Map(${v.size})`;
  if (v instanceof Set) return `Set(${v.size})`;
  const keys = Object.keys(v);
  return `{${keys.map((k) => `${k}: ${inspect(v[k], depth + 1, false)}`).join(', ')}}`;
}

/** RGBA bytes of image `i` of a `[n, h, w, c]` tensor whose values are in [0, 1]. */
function imageRGBA(t, i) {
  const [, h, w, c] = t.shape;
  const per = h * w * c;
  const px = t.data.subarray(i * per, (i + 1) * per);
  const out = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) out[4 * p + k] = 255 * px[p * c + (c === 1 ? 0 : k)];
    out[4 * p + 3] = 255;
  }
  return out;
}

function labelText(labels, names, i) {
  if (!labels) return '';
  const v = isTensor(labels) ? labels.data[i] : labels[i];
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (names && Number.isInteger(v) && names[v] !== undefined) return names[v];
  return num(v);
}

const builtins = {
  tp,
  /** Prints its arguments as text under the cell (objects and tensors abbreviated). */
  print(...args) { emit({ kind: 'text', text: args.map((a) => inspect(a)).join(' ') }); },
  /**
   * Shows a value the best way: a model as its summary table, `[n, h, w, 1|3]` images as
   * pictures, a fit's `history` as charts, an array of objects as a table, else text.
   */
  show(v, opts = {}) {
    if (v instanceof tp.Model) return builtins.summary(v);
    if (isTensor(v) && v.shape.length === 4 && [1, 3].includes(v.shape[3])) return builtins.showImages(v, opts);
    if (v && typeof v === 'object' && Array.isArray(v.loss)) return builtins.plot(v, opts);
    if (Array.isArray(v) && v.length && v.every((r) => r && typeof r === 'object' && !Array.isArray(r) && !isTensor(r))) return builtins.table(v, opts);
    return builtins.print(v);
  },
  /** A model's layers as a table (Keras' summary), frozen layers marked. */
  summary(model) {
    const [total, trainable, frozen] = model.countParams();
    emit({
      kind: 'table',
      caption: `Model "${model.name}"`,
      columns: ['Layer (type)', 'Output shape', 'Param #', 'Trainable'],
      rows: model.summaryRows().map((r) => ({
        cells: [`${r.name} (${r.className})`, `(None, ${r.outputShape.join(', ')})`, r.params.toLocaleString('en'), r.trainable ? 'yes' : 'no'],
        frozen: !r.trainable,
      })),
      footer: `Total params: ${total.toLocaleString('en')} · trainable: ${trainable.toLocaleString('en')} · non-trainable: ${frozen.toLocaleString('en')}`,
    });
  },
  /** An array of plain objects as a table (columns: the keys of the first row, or `columns`). */
  table(rows, { columns, caption } = {}) {
    const cols = columns || Object.keys(rows[0] || {});
    emit({ kind: 'table', caption, columns: cols, rows: rows.map((r) => ({ cells: cols.map((c) => inspect(r[c], 1, true)) })) });
  },
  /**
   * The first `count` images of a `[n, h, w, 1|3]` tensor (values in [0, 1]), each with
   * its label (`labels`: a tensor or an array; `names` maps class numbers to names) and
   * an optional caption line (`captions`: an array of strings).
   */
  showImages(x, { count = 12, labels, names, captions } = {}) {
    if (!isTensor(x) || x.shape.length !== 4 || ![1, 3].includes(x.shape[3])) {
      throw new TypeError(`showImages: expected images {data, shape: [n, height, width, 1 or 3]}, got ${inspect(x)}`);
    }
    const [n, h, w] = x.shape;
    const images = [];
    for (let i = 0; i < Math.min(n, count); i++) {
      images.push({ w, h, rgba: imageRGBA(x, i), caption: [labelText(labels, names, i), captions?.[i] ?? ''].filter(Boolean).join(' · ') });
    }
    emit({ kind: 'images', images }, images.map((im) => im.rgba.buffer));
  },
  /** A fit's history (`run.history`: loss, accuracy, val_loss, val_accuracy per epoch) as charts. */
  plot(history, { title } = {}) {
    const pick = (k) => (Array.isArray(history[k]) ? history[k].slice() : []);
    emit({ kind: 'plot', title, history: { loss: pick('loss'), accuracy: pick('accuracy'), val_loss: pick('val_loss'), val_accuracy: pick('val_accuracy') } });
  },
  /**
   * Feeds a live chart under the cell with a fit event (`run.step()`'s result): loss and
   * accuracy per batch, validation per epoch. A run that starts again at epoch 0,
   * batch 0 gets a new chart.
   */
  progress(ev, { title } = {}) {
    if (!current || !ev || (ev.type !== 'batch' && ev.type !== 'epoch')) return;
    const fresh = ev.type === 'batch' && ev.epoch === 0 && ev.batch === 0;
    if (!current.live || (fresh && current.live.seen)) current.live = { id: `${current.run}-${current.charts = (current.charts || 0) + 1}`, seen: false };
    current.live.seen = true;
    const { type, epoch, batch, batches, loss, accuracy, valLoss, valAccuracy } = ev;
    emit({ kind: 'live', id: current.live.id, title, ev: { type, epoch, batch, batches, loss, accuracy, valLoss, valAccuracy } });
  },
  /** Yields to the event loop (so Stop gets in); throws if Stop was pressed. */
  async tick() {
    await new Promise((r) => setTimeout(r, 0));
    if (stopRequested) throw new Stopped();
  },
  /** The bytes of a file of the site (a path relative to www/, e.g. 'assets/task-b/train.tpds'). */
  async fetchBytes(path) {
    const r = await fetch(new URL(path, base));
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  },
  /** The text of a file of the site. */
  async fetchText(path) {
    const r = await fetch(new URL(path, base));
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.text();
  },
};
builtins.console = {
  log: builtins.print, info: builtins.print, debug: builtins.print,
  warn: (...a) => builtins.print('warning:', ...a), error: (...a) => builtins.print('error:', ...a),
};

// ---- errors ------------------------------------------------------------------------

/** The line (in the cell) an error comes from, read from its stack; null if unknown. */
function cellLine(err) {
  const m = /<anonymous>:(\d+):(\d+)/.exec(String(err?.stack || ''));
  if (!m) return null;
  const line = Number(m[1]) - lineOffset + 1;
  return line >= 1 ? line : null;
}

/** An error as plain data: the engine's message, and its `code`/`params` when it has them. */
function errorData(err) {
  const e = err instanceof Error ? err : new Error(inspect(err));
  const freed = freedHandle(e);
  return {
    name: e.name,
    message: freed ? freed.message : e.message,
    code: freed ? freed.code : typeof e.code === 'string' ? e.code : null,
    params: freed ? freed.params : e.params && typeof e.params === 'object' ? { ...e.params } : null,
    line: cellLine(e),
    // A trap or a recorded panic poisons this engine instance: the page starts a new worker.
    fatal: e instanceof WebAssembly.RuntimeError || e.code === 'PANICKED',
  };
}

// ---- running -----------------------------------------------------------------------

function compile(code) {
  // eslint-disable-next-line no-new-func -- compiling the learner's cell is the point (see scope.js).
  return new Function('__builtins', '__scope', '__capture', cellSource(code, declaredNames(code)));
}

async function runCell(run, code) {
  current = { run, live: null };
  stopRequested = false;
  const t0 = performance.now();
  let getters = null;
  let result;
  try {
    const fn = compile(code)(builtins, scope, (g) => { getters = g; });
    await fn();
    result = { ok: true, stopped: false, error: null };
  } catch (err) {
    result = err instanceof Stopped
      ? { ok: false, stopped: true, error: null }
      : { ok: false, stopped: false, error: errorData(err) };
  }
  const kept = keepDeclared(scope, getters);
  self.postMessage({ type: 'done', run, ...result, kept, ms: performance.now() - t0 });
  current = null;
}

/** Where a cell's line 1 lands in the compiled function's source (engine-specific). */
function measureLineOffset() {
  try {
    compile('throw new Error("probe")')(builtins, scope, () => {})().catch((e) => {
      const m = /<anonymous>:(\d+):/.exec(String(e.stack || ''));
      if (m) lineOffset = Number(m[1]);
    });
  } catch { /* keep the default */ }
}

let queue = Promise.resolve();
self.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'stop') { stopRequested = true; return; }
  if (m.type === 'init') {
    queue = queue.then(async () => {
      try {
        base = m.base;
        await init({ module_or_path: new URL('../pkg/transfer_playground_bg.wasm', import.meta.url) });
        measureLineOffset();
        await new Promise((r) => setTimeout(r, 0));
        self.postMessage({ type: 'ready', version: tp.version(), lineOffset });
      } catch (err) {
        self.postMessage({ type: 'fatal', error: errorData(err) });
      }
    });
    return;
  }
  if (m.type === 'run') queue = queue.then(() => runCell(m.run, m.code));
};
