// The compute-backend control and badge: the learner's choice (State key `be`: 'auto',
// 'webgpu' or 'cpu'), what the worker actually runs on, the adapter's description in
// `#gpu-name`, and a visible note whenever the page falls back to the CPU (no adapter,
// or the device lost mid-training).
import { t } from './i18n.js';

const $ = (s) => document.querySelector(s);

/** "computed on WebGPU" / "computed on the CPU": which backend produced a result. */
export function computedOn(backend) {
  return t(backend === 'webgpu' ? 'computed.webgpu' : 'computed.cpu');
}

/** Shows the worker's backend info `{choice, active, adapter, isFallbackAdapter, reason}`. */
export function showBackend(info) {
  const box = $('#backend-box');
  box.dataset.backend = info.active;
  $('#backend').textContent = info.active === 'webgpu' ? t('be.webgpu') : t('be.cpuName');
  $('#gpu-name').textContent = info.adapter ? `(${info.adapter})` : '';
  $('#gpu-name').dataset.fallbackAdapter = String(!!info.isFallbackAdapter);
  const note = $('#backend-note');
  note.hidden = !info.reason;
  note.textContent = info.reason ? t('be.noGpu', { reason: info.reason }) : '';
}

/** Wires the `#be` select to the State and the worker; `initial` is init's backend info. */
export function mountBackend(ctx, initial) {
  const select = $('#be');
  select.value = ctx.store.get().be;
  showBackend(initial);
  ctx.engine.onBackend(showBackend);
  select.addEventListener('change', () => ctx.guard(async () => {
    ctx.store.set({ be: select.value });
    showBackend(await ctx.engine.call('backend', { choice: select.value }));
  }));
  ctx.store.subscribe((s, patch) => {
    if ('be' in patch && select.value !== s.be) {
      select.value = s.be;
      ctx.guard(async () => showBackend(await ctx.engine.call('backend', { choice: s.be })));
    }
  });
}
