// The compute-backend badge: what the worker actually runs on, the adapter's
// description in `#gpu-name`, and a visible note whenever the page falls back to the
// CPU (no adapter, a software adapter under 'auto', or the device lost mid-training).
// The learner's choice is the State key `be` (its select is a settings field).
import { t } from './i18n.js';
import { workersFor } from './state.js';

const $ = (s) => document.querySelector(s);

/** "computed on WebGPU" / "computed on the CPU": which backend produced a result. */
export function computedOn(backend) {
  return t(backend === 'webgpu' ? 'computed.webgpu' : 'computed.cpu');
}

export function mountBackend(ctx) {
  let info = null; // the worker's {choice, active, adapter, isFallbackAdapter, reason}

  function render() {
    if (!info) return;
    const box = $('#backend-box');
    box.dataset.backend = info.active;
    $('#backend').textContent = info.active === 'webgpu' ? t('be.webgpu') : t('be.cpuName');
    // On the CPU, how many workers train together (setting wk; www/worker-pool.js).
    const workers = workersFor(ctx.store.get().wk, navigator.hardwareConcurrency);
    const w = $('#workers');
    w.hidden = info.active === 'webgpu';
    w.dataset.workers = String(workers);
    w.textContent = t('perf.badge', { workers });
    $('#gpu-name').textContent = info.adapter ? `(${info.adapter}${info.isFallbackAdapter ? `, ${t('be.software')}` : ''})` : '';
    $('#gpu-name').dataset.fallbackAdapter = String(!!info.isFallbackAdapter);
    const note = $('#backend-note');
    note.hidden = !info.reason;
    note.dataset.code = info.reason?.code ?? '';
    // The engine's reason is English free text: shown as it is, inside the translated note.
    const full = info.reason ? t('be.noGpu', { reason: info.reason.code === 'SOFTWARE_ADAPTER' ? t('be.softwareSlow') : info.reason.params.detail }) : '';
    // An embed's status bar has one line to spare: the short note, the full one on hover.
    const short = info.reason && ctx.store.get().embed;
    note.textContent = short ? t('embed.noGpu') : full;
    if (short) note.title = full; else note.removeAttribute('title');
  }

  function show(i) { info = i; render(); }

  ctx.engine.onBackend(show);
  ctx.store.subscribe((s, patch) => {
    if ('be' in patch) ctx.guard(async () => show(await ctx.engine.call('backend', { choice: s.be })));
    if ('wk' in patch) render();
  });
  return { render, show };
}
