// The live view of one training run (stage 3, stage 4, from scratch): run / stop /
// resume buttons, per-batch progress, a per-epoch log, loss and accuracy curves,
// and the final test accuracy. The worker does the work; this only draws.
import { drawChart, palette } from './charts.js';
import { t, errorText } from './i18n.js';
import { computedOn } from './backend.js';

export function createTrainView(root, { id, runLabel }) {
  root.innerHTML = `
    <div class="buttons">
      <button type="button" class="run" id="run-${id}"></button>
      <button type="button" id="stop-${id}" disabled></button>
      <button type="button" id="resume-${id}" disabled></button>
    </div>
    <progress id="prog-${id}" max="1" value="0" aria-label="progress"></progress>
    <p class="mono small" id="batch-${id}" aria-live="off"></p>
    <div class="charts">
      <canvas class="chart" id="loss-${id}" role="img"></canvas>
      <canvas class="chart" id="acc-${id}" role="img"></canvas>
    </div>
    <ul class="epochs mono small" id="log-${id}"></ul>
    <p class="result" id="result-${id}" aria-live="polite"></p>`;
  const $ = (s) => root.querySelector(s);
  const runBtn = $(`#run-${id}`);
  const stopBtn = $(`#stop-${id}`);
  const resumeBtn = $(`#resume-${id}`);
  let h = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
  let epochs = 0;
  let batches = 1;

  function labels() {
    runBtn.textContent = t(runLabel);
    stopBtn.textContent = t('stop');
    resumeBtn.textContent = t('resume');
    $(`#loss-${id}`).setAttribute('aria-label', t('chart.loss'));
    $(`#acc-${id}`).setAttribute('aria-label', t('chart.acc'));
  }

  function draw() {
    const p = palette();
    drawChart($(`#loss-${id}`), { title: t('chart.loss'), xMax: epochs, series: [
      { label: t('train'), values: h.loss, color: p.a }, { label: t('valid'), values: h.val_loss, color: p.b, dashed: true }] });
    drawChart($(`#acc-${id}`), { title: t('chart.acc'), xMax: epochs, yMin: 0, yMax: 1, series: [
      { label: t('train'), values: h.accuracy, color: p.a }, { label: t('valid'), values: h.val_accuracy, color: p.b, dashed: true }] });
  }

  function status(s) {
    root.dataset.status = s;
    runBtn.disabled = s === 'running';
    stopBtn.disabled = s !== 'running';
    resumeBtn.disabled = s !== 'stopped';
  }

  labels();
  status('idle');
  draw();

  return {
    runBtn, stopBtn, resumeBtn, labels, draw, status,
    history: () => h,
    reset() {
      h = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
      $(`#log-${id}`).textContent = '';
      $(`#result-${id}`).textContent = '';
      $(`#batch-${id}`).textContent = '';
      $(`#prog-${id}`).value = 0;
      draw();
    },
    /** One event from the worker's FitRun. */
    event(ev) {
      if (ev.type === 'start') {
        epochs = ev.epochs;
        batches = ev.batches;
        $(`#prog-${id}`).max = epochs * (batches + 1);
        status('running');
        ev.warnings?.forEach((w) => { const li = document.createElement('li'); li.textContent = `⚠ ${w}`; $(`#log-${id}`).appendChild(li); });
      } else if (ev.type === 'batch') {
        $(`#prog-${id}`).value = ev.epoch * (batches + 1) + ev.batch + 1;
        const at = { epoch: ev.epoch + 1, epochs, batch: ev.batch + 1, batches: ev.batches };
        // On the GPU a batch is only enqueued: its loss is known at the epoch's end.
        $(`#batch-${id}`).textContent = ev.pending ? t('batchLineGpu', at) : t('batchLine', { ...at, loss: ev.loss.toFixed(4), acc: ev.accuracy.toFixed(4) });
      } else if (ev.type === 'epoch') {
        $(`#prog-${id}`).value = (ev.epoch + 1) * (batches + 1);
        h.loss.push(ev.loss); h.accuracy.push(ev.accuracy);
        if (ev.valLoss !== undefined) { h.val_loss.push(ev.valLoss); h.val_accuracy.push(ev.valAccuracy); }
        const li = document.createElement('li');
        li.textContent = t('epochLine', { epoch: ev.epoch + 1, epochs, loss: ev.loss.toFixed(4), acc: ev.accuracy.toFixed(4), vloss: (ev.valLoss ?? NaN).toFixed(4), vacc: (ev.valAccuracy ?? NaN).toFixed(4) });
        $(`#log-${id}`).appendChild(li);
        $(`#log-${id}`).scrollTop = $(`#log-${id}`).scrollHeight;
        draw();
      } else if (ev.type === 'fallback') {
        const li = document.createElement('li');
        li.className = 'fallback';
        li.textContent = `⚠ ${t('be.lost', { message: ev.message })}`;
        $(`#log-${id}`).appendChild(li);
      } else if (ev.type === 'stopped') {
        status('stopped');
      }
    },
    done(result) {
      status('done');
      $(`#result-${id}`).innerHTML = '';
      const strong = document.createElement('strong');
      strong.className = 'test-acc';
      strong.dataset.value = String(result.test.accuracy);
      strong.dataset.backend = result.test.backend;
      strong.textContent = result.test.accuracy.toFixed(4);
      $(`#result-${id}`).append(t('testAcc') + ': ', strong, ` (${t('testLoss')} ${result.test.loss.toFixed(4)}, ${computedOn(result.test.backend)})`);
    },
    error(err) {
      status('error');
      $(`#result-${id}`).textContent = errorText(err);
    },
  };
}
