//! The tutorial page: turns every `.cell` of tutorial.html into an editable, runnable
//! cell, keeps the run queue ("Run all", "Run this cell", Stop, Restart), and draws each
//! cell's outputs (text, tables, images, live and static charts) and errors. The code
//! runs in ./worker.js (one engine, one shared scope: see ./scope.js).
//!
//! Cell states (`data-state` on the cell): idle, queued, running, done, error, stopped.
//! The page's state (`data-kernel` on <body>): starting, ready, busy, failed.

import { palette } from '../charts.js';
import { pickLanguage } from '../i18n.js';
import { drawLines } from './chart.js';

const UI = {
  en: {
    run: 'Run', runAll: 'Run all', stop: 'Stop', restart: 'Restart', addCell: 'Add a cell',
    langToggle: '한국어', langLabel: 'Language: 한국어',
    runCell: 'Run this cell (Shift+Enter)', code: 'Code of cell {n}',
    idle: '', queued: 'queued', running: 'running…', done: 'done in {ms}', error: 'error', stopped: 'stopped',
    starting: 'Starting the engine…', ready: 'Engine {version} ready in a worker.', busy: 'Running cell {n}…',
    failed: 'The engine could not start: {message}',
    stoppedAt: 'Stopped.', errorAt: 'Stopped at an error in cell {n}.', allDone: 'All cells ran.',
    restarted: 'Restarted: a fresh engine and an empty scope. Run the cells again from the top.',
    killed: 'Cell {n} did not stop by itself (a loop without `await tick()`), so the engine was restarted: run the cells again from the top.',
    fatal: 'The engine stopped with an internal error and was restarted: run the cells again from the top.',
    line: 'line {line}', manual: 'not part of "Run all": run it yourself',
    kept: 'keeps: {names}',
  },
  ko: {
    run: '실행', runAll: '모두 실행', stop: '중지', restart: '다시 시작', addCell: '셀 추가',
    langToggle: 'English', langLabel: 'Language: English',
    runCell: '이 셀 실행 (Shift+Enter)', code: '셀 {n}의 코드',
    idle: '', queued: '대기 중', running: '실행 중…', done: '{ms} 만에 완료', error: '오류', stopped: '중지됨',
    starting: '엔진을 시작하는 중…', ready: '엔진 {version}이(가) 워커에서 준비되었습니다.', busy: '셀 {n} 실행 중…',
    failed: '엔진을 시작할 수 없습니다: {message}',
    stoppedAt: '중지했습니다.', errorAt: '셀 {n}의 오류에서 멈췄습니다.', allDone: '모든 셀을 실행했습니다.',
    restarted: '다시 시작했습니다: 새 엔진, 빈 스코프. 처음 셀부터 다시 실행하세요.',
    killed: '셀 {n}이(가) 스스로 멈추지 않아(`await tick()` 없는 반복문) 엔진을 다시 시작했습니다. 처음 셀부터 다시 실행하세요.',
    fatal: '엔진이 내부 오류로 멈춰 다시 시작했습니다. 처음 셀부터 다시 실행하세요.',
    line: '{line}번째 줄', manual: '"모두 실행"에 포함되지 않음: 직접 실행해 보세요',
    kept: '저장한 변수: {names}',
  },
};

const $ = (s, root = document) => root.querySelector(s);
let lang = 'en';
const t = (key, vars = {}) => (UI[lang][key] ?? UI.en[key]).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? `{${k}}`));

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

// ---- language ----------------------------------------------------------------------

function applyLanguage(code) {
  lang = code;
  document.documentElement.lang = code;
  document.querySelectorAll('[data-ui]').forEach((e) => { e.textContent = t(e.dataset.ui); });
  $('#lang').setAttribute('aria-label', t('langLabel'));
  cells.forEach((c) => c.relabel());
  kernel?.say();
}

// ---- outputs -----------------------------------------------------------------------

function renderTable(item) {
  const table = el('table', { class: 'out-table' });
  if (item.caption) table.append(el('caption', {}, item.caption));
  table.append(el('thead', {}, el('tr', {}, ...item.columns.map((c) => el('th', { scope: 'col' }, c)))));
  const body = el('tbody');
  for (const r of item.rows) body.append(el('tr', r.frozen ? { class: 'frozen' } : {}, ...r.cells.map((c) => el('td', {}, c))));
  table.append(body);
  if (item.footer) table.append(el('tfoot', {}, el('tr', {}, el('td', { colspan: String(item.columns.length) }, item.footer))));
  return el('div', { class: 'out-table-wrap' }, table);
}

function renderImages(item) {
  const box = el('div', { class: 'out-images' });
  for (const im of item.images) {
    const c = el('canvas', { class: 'pix', width: String(im.w), height: String(im.h) });
    c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(im.rgba.buffer ?? im.rgba), im.w, im.h), 0, 0);
    box.append(el('figure', {}, c, el('figcaption', {}, im.caption || '')));
  }
  return box;
}

/** Two charts (loss, accuracy) for a fit: per-batch lines and per-epoch validation. */
function chartPair(title) {
  const box = el('div', { class: 'out-charts' });
  const loss = el('canvas', { class: 'chart', role: 'img', 'aria-label': `${title || ''} loss` });
  const acc = el('canvas', { class: 'chart', role: 'img', 'aria-label': `${title || ''} accuracy` });
  const line = el('p', { class: 'out-progress mono' });
  box.append(el('div', { class: 'out-chart-row' }, loss, acc), line);
  return { box, loss, acc, line };
}

function renderPlot(item) {
  const pair = chartPair(item.title);
  const h = item.history;
  const pts = (arr) => arr.map((v, i) => [i + 1, v]);
  const { a: c1, b: c2 } = palette();
  pair.draw = () => {
    drawLines(pair.loss, { title: item.title ? `${item.title}: loss` : 'loss', xMin: 0, xMax: h.loss.length, xLabel: 'epoch', series: [
      { label: 'loss', colour: c1, points: pts(h.loss), dots: true },
      { label: 'val_loss', colour: c2, points: pts(h.val_loss), dashed: true, dots: true },
    ] });
    drawLines(pair.acc, { title: item.title ? `${item.title}: accuracy` : 'accuracy', xMin: 0, xMax: h.accuracy.length, yMax: 1, xLabel: 'epoch', series: [
      { label: 'accuracy', colour: c1, points: pts(h.accuracy), dots: true },
      { label: 'val_accuracy', colour: c2, points: pts(h.val_accuracy), dashed: true, dots: true },
    ] });
  };
  const last = (k) => (h[k].length ? h[k][h[k].length - 1].toFixed(4) : '-');
  pair.line.textContent = `${h.loss.length} epochs · loss ${last('loss')} · accuracy ${last('accuracy')} · val_loss ${last('val_loss')} · val_accuracy ${last('val_accuracy')}`;
  return pair;
}

/** A chart fed live by `progress(ev)` in the worker. */
function liveChart(title) {
  const pair = chartPair(title);
  const d = { loss: [], acc: [], valLoss: [], valAcc: [], epochs: 0 };
  const { a: c1, b: c2 } = palette();
  let queued = false;
  pair.draw = () => {
    queued = false;
    drawLines(pair.loss, { title: title ? `${title}: loss` : 'loss', xMin: 0, xMax: Math.max(1, d.epochs), xLabel: 'epoch', series: [
      { label: 'loss (batch)', colour: c1, points: d.loss, thin: true },
      { label: 'val_loss', colour: c2, points: d.valLoss, dashed: true, dots: true },
    ] });
    drawLines(pair.acc, { title: title ? `${title}: accuracy` : 'accuracy', xMin: 0, xMax: Math.max(1, d.epochs), yMax: 1, xLabel: 'epoch', series: [
      { label: 'accuracy (batch)', colour: c1, points: d.acc, thin: true },
      { label: 'val_accuracy', colour: c2, points: d.valAcc, dashed: true, dots: true },
    ] });
  };
  pair.add = (ev) => {
    const f = (v) => (Number.isFinite(v) ? v.toFixed(4) : '-');
    if (ev.type === 'batch') {
      const x = ev.epoch + (ev.batch + 1) / ev.batches;
      d.loss.push([x, ev.loss]);
      d.acc.push([x, ev.accuracy]);
      d.epochs = Math.max(d.epochs, ev.epoch + 1);
      pair.line.textContent = `epoch ${ev.epoch + 1} · batch ${ev.batch + 1}/${ev.batches} · loss ${f(ev.loss)} · accuracy ${f(ev.accuracy)}`;
    } else {
      if (Number.isFinite(ev.valLoss)) d.valLoss.push([ev.epoch + 1, ev.valLoss]);
      if (Number.isFinite(ev.valAccuracy)) d.valAcc.push([ev.epoch + 1, ev.valAccuracy]);
      pair.line.textContent = `epoch ${ev.epoch + 1} · loss ${f(ev.loss)} · accuracy ${f(ev.accuracy)} · val_loss ${f(ev.valLoss)} · val_accuracy ${f(ev.valAccuracy)}`;
      pair.box.dataset.epochs = String(ev.epoch + 1);
    }
    if (!queued) { queued = true; requestAnimationFrame(pair.draw); }
  };
  return pair;
}

// ---- cells -------------------------------------------------------------------------

const cells = [];
let counter = 0;

function fitHeight(area) {
  area.rows = Math.max(2, area.value.split('\n').length);
}

function makeCell(root) {
  const index = cells.length;
  const area = $('textarea', root);
  area.classList.add('code');
  area.spellcheck = false;
  area.setAttribute('autocapitalize', 'off');
  area.setAttribute('autocomplete', 'off');
  area.value = area.value.replace(/^\n/, '').replace(/\s+$/, '');
  fitHeight(area);
  const runBtn = el('button', { type: 'button', class: 'cell-run' });
  const count = el('span', { class: 'cell-count mono' }, '[ ]');
  const state = el('span', { class: 'cell-state', role: 'status' });
  const manual = root.hasAttribute('data-manual') ? el('span', { class: 'cell-manual' }) : null;
  const bar = el('div', { class: 'cell-bar' }, runBtn, count, state, manual);
  const error = el('div', { class: 'cell-error', role: 'alert', hidden: true });
  const out = el('div', { class: 'cell-out' });
  root.prepend(bar);
  root.append(error, out);
  root.dataset.state = 'idle';

  const cell = {
    root, area, out, error, index, charts: [], lastMs: 0,
    get code() { return area.value; },
    get manual() { return root.hasAttribute('data-manual'); },
    setState(s) {
      root.dataset.state = s;
      cell.relabel();
    },
    relabel() {
      runBtn.textContent = `▶ ${t('run')}`;
      runBtn.title = t('runCell');
      runBtn.setAttribute('aria-label', `${t('runCell')}: ${index + 1}`);
      area.setAttribute('aria-label', t('code', { n: index + 1 }));
      state.textContent = t(root.dataset.state, { ms: `${(cell.lastMs / 1000).toFixed(2)} s` });
      if (manual) manual.textContent = t('manual');
      if (cell.errorData) cell.showError(cell.errorData);
    },
    clear() {
      out.replaceChildren();
      cell.charts = [];
      cell.live = new Map();
      cell.errorData = null;
      error.hidden = true;
      error.replaceChildren();
      delete root.dataset.errorCode;
    },
    add(item) {
      let node;
      if (item.kind === 'text') node = el('pre', { class: 'out-text' }, item.text);
      else if (item.kind === 'table') node = renderTable(item);
      else if (item.kind === 'images') node = renderImages(item);
      else if (item.kind === 'plot') { const p = renderPlot(item); cell.charts.push(p); node = p.box; requestAnimationFrame(p.draw); }
      else if (item.kind === 'live') {
        let p = cell.live.get(item.id);
        if (!p) { p = liveChart(item.title); cell.live.set(item.id, p); cell.charts.push(p); out.append(p.box); }
        p.add(item.ev);
        return;
      }
      if (node) out.append(node);
    },
    showError(e) {
      cell.errorData = e;
      error.hidden = false;
      const head = el('p', { class: 'err-head' });
      if (e.code) head.append(el('code', { class: 'err-code' }, e.code), ' ');
      head.append(el('strong', {}, e.name === 'Error' || !e.name ? '' : `${e.name}: `), e.message);
      const parts = [head];
      if (e.line) parts.push(el('p', { class: 'err-line small' }, t('line', { line: e.line })));
      if (e.params && Object.keys(e.params).length) parts.push(el('p', { class: 'err-params small mono' }, JSON.stringify(e.params)));
      error.replaceChildren(...parts);
      if (e.code) root.dataset.errorCode = e.code;
    },
    finish(m) {
      counter += 1;
      count.textContent = `[${counter}]`;
      root.dataset.runs = String(Number(root.dataset.runs || 0) + 1);
      cell.lastMs = m.ms;
      if (m.error) cell.showError(m.error);
      cell.setState(m.ok ? 'done' : m.stopped ? 'stopped' : 'error');
    },
  };
  cell.live = new Map();
  runBtn.addEventListener('click', () => kernel.enqueue([cell], { single: true }));
  let escaped = false;
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      kernel.enqueue([cell], { single: true });
      if (e.shiftKey) cells[index + 1]?.area.focus();
      return;
    }
    // Tab indents; Escape first lets Tab leave the editor (keyboard users are not trapped).
    if (e.key === 'Escape') { escaped = true; return; }
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey && !escaped) {
      e.preventDefault();
      area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
      return;
    }
    escaped = false;
  });
  area.addEventListener('input', () => fitHeight(area));
  cells.push(cell);
  cell.relabel();
  return cell;
}

// ---- the kernel (worker + queue) -----------------------------------------------------

let kernel;

function createKernel() {
  let worker;
  let ready = false;
  let status = { key: 'starting', vars: {} };
  let version = '';
  const queue = [];
  let running = null; // {cell, run}
  let runId = 0;
  let stopTimer = null;
  let allQueued = false; // the queue came from "Run all" (its end is "All cells ran.")

  let note = null;     // why the worker was replaced, shown until the next run starts
  const say = (key, vars) => {
    if (key) status = { key, vars: vars || {} };
    $('#kernel').textContent = (note ? `${t(note.key, note.vars)} ` : '') + t(status.key, status.vars);
  };
  const setBusy = () => {
    document.body.dataset.kernel = !ready ? (status.key === 'failed' ? 'failed' : 'starting') : running || queue.length ? 'busy' : 'ready';
    $('#stop').disabled = !running && !queue.length;
    $('#run-all').disabled = !ready;
  };

  function start() {
    ready = false;
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = onMessage;
    worker.onerror = (e) => { ready = false; say('failed', { message: e.message || 'worker error' }); setBusy(); };
    worker.postMessage({ type: 'init', base: new URL('./', document.baseURI).href });
    say('starting');
    setBusy();
  }

  function onMessage(e) {
    const m = e.data;
    if (m.type === 'ready') {
      ready = true;
      version = m.version;
      say('ready', { version });
      setBusy();
      next();
    } else if (m.type === 'fatal') {
      say('failed', { message: m.error.message });
      setBusy();
    } else if (m.type === 'out') {
      if (running && m.run === running.run) running.cell.add(m.item);
    } else if (m.type === 'done') {
      if (!running || m.run !== running.run) return;
      clearTimeout(stopTimer);
      const { cell } = running;
      running = null;
      cell.finish(m);
      cell.root.dataset.kept = m.kept.join(',');
      if (!m.ok) {
        drain();
        if (m.error?.fatal) { note = { key: 'fatal', vars: {} }; restart(); return; }
        say(m.stopped ? 'stoppedAt' : 'errorAt', { n: cell.index + 1 });
      }
      next();
    }
  }

  function drain() {
    for (const c of queue.splice(0)) c.setState('idle');
    setBusy();
  }

  function next() {
    if (!ready || running) { setBusy(); return; }
    const cell = queue.shift();
    if (!cell) {
      if (status.key === 'busy') say(allQueued ? 'allDone' : 'ready', { version });
      setBusy();
      return;
    }
    runId += 1;
    note = null;
    running = { cell, run: runId };
    cell.clear();
    cell.setState('running');
    say('busy', { n: cell.index + 1 });
    setBusy();
    worker.postMessage({ type: 'run', run: runId, code: cell.code });
  }

  function restart() {
    clearTimeout(stopTimer);
    worker.terminate();
    if (running) { running.cell.setState('stopped'); running = null; }
    drain();
    // The scope is gone: what ran is not there any more (a stop or an error stays shown).
    cells.forEach((c) => { if (c.root.dataset.state === 'done') c.setState('idle'); });
    start();
  }

  start();
  return {
    say: () => say(),
    enqueue(list, { single = false } = {}) {
      if (!running && !queue.length) allQueued = !single;
      for (const c of list) {
        if (!single && c.manual) continue;
        if (queue.includes(c) || running?.cell === c) continue;
        queue.push(c);
        c.setState('queued');
      }
      next();
    },
    stop() {
      const cur = running;
      drain();
      if (!cur) return;
      worker.postMessage({ type: 'stop' });
      // A cell that never yields cannot see the message: after 2 s, end the worker.
      clearTimeout(stopTimer);
      stopTimer = setTimeout(() => {
        if (running === cur) {
          note = { key: 'killed', vars: { n: cur.cell.index + 1 } };
          restart();
        }
      }, 2000);
    },
    restart() { note = { key: 'restarted', vars: {} }; restart(); },
  };
}

// ---- wiring ------------------------------------------------------------------------

function addCell() {
  const root = el('div', { class: 'cell', dataset: { cell: `extra-${cells.length + 1}` } }, el('textarea', {}, ''));
  $('#add-cell').before(root);
  const c = makeCell(root);
  c.area.focus();
}

function main() {
  document.querySelectorAll('.cell').forEach(makeCell);
  kernel = createKernel();
  applyLanguage(pickLanguage(new URLSearchParams(location.search).get('lang')));
  $('#run-all').addEventListener('click', () => kernel.enqueue(cells));
  $('#stop').addEventListener('click', () => kernel.stop());
  $('#restart').addEventListener('click', () => kernel.restart());
  $('#add-cell').addEventListener('click', addCell);
  $('#lang').addEventListener('click', () => {
    const code = lang === 'ko' ? 'en' : 'ko';
    const url = new URL(location.href);
    url.searchParams.set('lang', code);
    history.replaceState(null, '', url);
    applyLanguage(code);
  });
  // Charts follow the width of the page.
  let resizeQueued = false;
  window.addEventListener('resize', () => {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(() => { resizeQueued = false; cells.forEach((c) => c.charts.forEach((p) => p.draw())); });
  });
  document.body.dataset.ready = 'true';
}

main();
