// The view of one training run (stage 3, stage 4, from scratch): run / stop / resume
// buttons, progress, the epoch log, loss and accuracy curves and the test accuracy.
// It draws from data only — the live run's events while it runs or is stopped, else
// the stored result — so a language switch redraws it without losing anything.
import { drawChart, palette } from './charts.js';
import { t, errorText } from './i18n.js';
import { computedOn } from './backend.js';

const emptyHistory = () => ({ loss: [], accuracy: [], val_loss: [], val_accuracy: [] });

export function createTrainView(root, { id, runLabel }) {
  root.innerHTML = `
    <div class="buttons">
      <button type="button" class="run" id="run-${id}"></button>
      <button type="button" id="stop-${id}" disabled></button>
      <button type="button" id="resume-${id}" disabled></button>
    </div>
    <progress id="prog-${id}" max="1" value="0"></progress>
    <p class="mono small" id="batch-${id}" aria-live="off" data-control="progress"></p>
    <div class="charts figures" data-control="charts" data-tab-panel="main">
      <canvas class="chart" id="loss-${id}" role="img"></canvas>
      <canvas class="chart" id="acc-${id}" role="img"></canvas>
    </div>
    <ul class="epochs mono small figures" id="log-${id}" data-control="log"></ul>
    <p class="result figures" id="result-${id}" aria-live="polite"></p>`;
  const $ = (s) => root.querySelector(s);
  const runBtn = $(`#run-${id}`);
  const stopBtn = $(`#stop-${id}`);
  const resumeBtn = $(`#resume-${id}`);
  let live = null;   // {status, epochs, batches, history, batch, notes, error}
  let record = null; // the stored result's value, shown when nothing is live

  function setStatus(s) {
    root.dataset.status = s;
    runBtn.disabled = s === 'running';
    stopBtn.disabled = s !== 'running';
    resumeBtn.disabled = s !== 'stopped';
  }

  function shown() {
    if (live) return live;
    if (!record) return { history: emptyHistory(), epochs: 0, notes: [] };
    return { history: record.history, epochs: record.history.loss.length, notes: record.notes || [], test: record.test, timing: record.timing, backend: record.backend };
  }

  function noteText(n) {
    if (n.type === 'warning') return `⚠ ${t('train.warning', { detail: n.message })}`;
    if (n.type === 'workersLost') return `⚠ ${t('perf.WORKER_LOST', n.reason.params)}`;
    return `⚠ ${t('be.lost', { detail: n.message })}`;
  }

  function drawCharts(d) {
    const p = palette();
    const h = d.history;
    drawChart($(`#loss-${id}`), { title: t('chart.loss'), xMax: d.epochs, series: [
      { label: t('train'), values: h.loss, color: p.a }, { label: t('valid'), values: h.val_loss, color: p.b, dashed: true }] });
    drawChart($(`#acc-${id}`), { title: t('chart.acc'), xMax: d.epochs, yMin: 0, yMax: 1, series: [
      { label: t('train'), values: h.accuracy, color: p.a }, { label: t('valid'), values: h.val_accuracy, color: p.b, dashed: true }] });
  }

  function drawLog(d) {
    const h = d.history;
    const items = d.notes.filter((n) => n.at === undefined || n.at < 0).map((n) => ({ text: noteText(n), cls: n.type }));
    h.loss.forEach((loss, i) => {
      items.push({ text: t('epochLine', { epoch: i + 1, epochs: d.epochs, loss: loss.toFixed(4), acc: h.accuracy[i].toFixed(4), vloss: (h.val_loss[i] ?? NaN).toFixed(4), vacc: (h.val_accuracy[i] ?? NaN).toFixed(4) }) });
      for (const n of d.notes) if (n.at === i) items.push({ text: noteText(n), cls: n.type });
    });
    const log = $(`#log-${id}`);
    log.replaceChildren(...items.map(({ text, cls }) => {
      const li = document.createElement('li');
      li.textContent = text;
      if (cls) li.className = cls;
      return li;
    }));
    log.scrollTop = log.scrollHeight;
  }

  function drawBatch() {
    const b = live?.batch;
    const el = $(`#batch-${id}`);
    if (!b) { el.textContent = ''; return; }
    const at = { epoch: b.epoch + 1, epochs: live.epochs, batch: b.batch + 1, batches: b.batches };
    el.dataset.epoch = String(at.epoch);
    el.dataset.batch = String(at.batch);
    el.dataset.pending = String(!!b.pending);
    // On the GPU a batch is only enqueued: its loss is known at the epoch's end.
    el.textContent = b.pending ? t('batchLineGpu', at) : t('batchLine', { ...at, loss: b.loss.toFixed(4), acc: b.accuracy.toFixed(4) });
  }

  function drawResult(d) {
    const el = $(`#result-${id}`);
    el.replaceChildren();
    if (live?.error) { el.textContent = errorText(live.error); return; }
    if (!d.test) return;
    const strong = document.createElement('strong');
    strong.className = 'test-acc';
    strong.dataset.value = String(d.test.accuracy);
    strong.dataset.backend = d.test.backend;
    strong.textContent = d.test.accuracy.toFixed(4);
    el.append(`${t('testAcc')}: `, strong, ` (${t('testLoss')} ${d.test.loss.toFixed(4)}, ${computedOn(d.test.backend)})`);
    if (d.timing) {
      // Seconds of compute of the fit and its test, and on how many workers.
      const took = document.createElement('span');
      took.className = 'small timing';
      took.dataset.testid = `timing-${id}`;
      took.dataset.computeMs = String(d.timing.computeMs);
      took.dataset.workers = String(d.timing.workers);
      const seconds = (d.timing.computeMs / 1000).toFixed(2);
      const onGpu = d.backend === 'webgpu';
      const key = onGpu ? 'perf.tookGpu' : d.timing.workers === 1 ? 'perf.tookOne' : 'perf.took';
      took.textContent = ` · ${t(key, { seconds, workers: d.timing.workers })}`;
      // How the CPU workers shared the work (www/worker-pool.js), or why one did it all.
      const r = onGpu ? null : d.timing.reason;
      if (r) took.textContent += ` · ${t(r.key, { asked: d.timing.asked, ...r.params })}`;
      else if (d.timing.workers > 1) took.textContent += ` · ${t('perf.workers', { workers: d.timing.workers })}`;
      el.append(took);
    }
  }

  function render() {
    const d = shown();
    runBtn.textContent = t(runLabel);
    stopBtn.textContent = t('stop');
    resumeBtn.textContent = t('resume');
    $(`#prog-${id}`).setAttribute('aria-label', t('progress'));
    $(`#loss-${id}`).setAttribute('aria-label', t('chart.lossAria'));
    $(`#acc-${id}`).setAttribute('aria-label', t('chart.accAria'));
    setStatus(live ? live.status : record ? 'done' : 'idle');
    drawCharts(d);
    drawLog(d);
    drawBatch();
    drawResult(d);
  }

  return {
    runBtn, stopBtn, resumeBtn, render,
    isLive: () => !!live && live.status !== 'error',
    status: () => root.dataset.status,
    /** A run starts: the view shows it instead of the stored result. */
    start() {
      // Runs started so far: a test can wait for a run that is over within a frame.
      root.dataset.runs = String(Number(root.dataset.runs || 0) + 1);
      live = { status: 'running', epochs: 0, batches: 1, history: emptyHistory(), batch: null, notes: [], error: null };
      $(`#prog-${id}`).value = 0;
      render();
    },
    resumed() { if (live) { live.status = 'running'; setStatus('running'); } },
    /** One event from the worker's FitRun. */
    event(ev) {
      if (!live) return;
      const prog = $(`#prog-${id}`);
      if (ev.type === 'start') {
        live.epochs = ev.epochs;
        live.batches = ev.batches;
        prog.max = ev.epochs * (ev.batches + 1);
        for (const w of ev.warnings || []) live.notes.push({ type: 'warning', message: w, at: -1 });
        render();
      } else if (ev.type === 'batch') {
        live.batch = ev;
        prog.value = ev.epoch * (live.batches + 1) + ev.batch + 1;
        drawBatch();
      } else if (ev.type === 'epoch') {
        const h = live.history;
        h.loss.push(ev.loss); h.accuracy.push(ev.accuracy);
        if (ev.valLoss !== undefined) { h.val_loss.push(ev.valLoss); h.val_accuracy.push(ev.valAccuracy); }
        prog.value = (ev.epoch + 1) * (live.batches + 1);
        drawCharts(live);
        drawLog(live);
      } else if (ev.type === 'workers') {
        live.notes.push({ type: 'workersLost', reason: ev.reason, at: live.history.loss.length - 1 });
        drawLog(live);
      } else if (ev.type === 'fallback') {
        live.notes.push({ type: 'fallback', message: ev.message, at: live.history.loss.length - 1 });
        drawLog(live);
      } else if (ev.type === 'stopped') {
        live.status = 'stopped';
        setStatus('stopped');
      }
    },
    /** The notes (warnings, fallbacks) of the live run, kept with its result. */
    notes: () => live?.notes ?? [],
    /** The run finished: from now on the view shows `value` (a stored result's). */
    finish(value) { live = null; record = value; render(); },
    fail(err) { if (live) { live.status = 'error'; live.error = err; } else live = { status: 'error', epochs: 0, batches: 1, history: emptyHistory(), notes: [], error: err }; render(); },
    /** The stored result to show when no run is live (null: none). */
    show(value) { record = value; render(); },
  };
}
