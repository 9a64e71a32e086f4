// Recording samples with the webcam, as in Teachable Machine: a class's "Webcam" button
// opens this panel for that class; the preview is mirrored, with the square the
// resizing keeps drawn on it; holding "record" (mouse, touch, Space or Enter) takes
// FPS frames a second, counted as they are taken, and sends them in small batches down
// the same path as files (add.js). The camera can be chosen once one is allowed.
import { t, showError } from '../i18n.js';
import { toErrorValue } from '../errors.js';
import { openCamera, closeCamera, listCameras, drawCrop, grabFrame, mountVideo } from './camera.js';

export const FPS = 10;
const BATCH = 5; // frames per trip to the worker while recording

export function mountWebcam(ctx, panel, { record, names }) {
  panel.innerHTML = `
    <div class="cam-head"><h3 id="cam-title"></h3>
      <label class="small"><span id="cam-device-label"></span> <select id="cam-device"></select></label>
      <button type="button" id="cam-close"></button></div>
    <p id="cam-msg" class="note warn" role="alert" hidden></p>
    <div class="cam-video"></div>
    <p class="cam-controls"><button type="button" class="run" id="cam-record"></button>
      <output id="cam-count" data-count="0" aria-live="polite"></output></p>
    <p class="small" id="cam-how"></p>`;
  const $ = (s) => panel.querySelector(s);
  const view = mountVideo($('.cam-video'));
  const st = { label: null, open: false, recording: false, count: 0, error: null, devices: [], deviceId: '', timer: null, pending: [], sent: Promise.resolve(), n: 0 };

  function shape() { return ctx.project.images[0]?.shape ?? ctx.a?.inputShape ?? [28, 28, 1]; }
  const redraw = () => { if (st.open) drawCrop(view.overlay, view.video, shape()); };
  view.video.addEventListener('loadedmetadata', redraw);
  new ResizeObserver(redraw).observe(view.video);

  async function start(deviceId) {
    st.error = null;
    try {
      const stream = await openCamera('webcam', deviceId);
      await view.play(stream);
      st.deviceId = stream.getVideoTracks()[0]?.getSettings?.().deviceId ?? deviceId ?? '';
      st.devices = await listCameras();
    } catch (err) {
      st.error = toErrorValue(err);
      view.stop();
    }
    render();
    redraw();
  }

  /** Opens the panel for class `k` (the camera starts if it is not running). */
  async function open(k) {
    st.label = k;
    const was = st.open;
    st.open = true;
    panel.hidden = false;
    render();
    panel.scrollIntoView({ block: 'nearest' });
    if (!was || st.error) await start(st.deviceId || undefined);
  }

  function close() {
    stopRecording();
    st.open = false;
    closeCamera('webcam');
    view.stop();
    panel.hidden = true;
    render();
  }

  function flush() {
    const frames = st.pending.splice(0);
    if (!frames.length) return;
    const k = st.label;
    st.sent = st.sent.then(() => record(k, frames)).catch((err) => { st.error = toErrorValue(err); render(); });
  }

  function startRecording() {
    if (st.recording || !st.open || st.error || st.label === null) return;
    st.recording = true;
    st.count = 0;
    const tick = () => {
      const frame = grabFrame(view.video);
      if (!frame) return;
      st.n += 1;
      st.count += 1;
      st.pending.push({ name: `webcam-${String(st.n).padStart(4, '0')}`, bitmap: frame });
      if (st.pending.length >= BATCH) flush();
      renderCount();
    };
    tick();
    st.timer = setInterval(tick, 1000 / FPS);
    render();
  }

  function stopRecording() {
    if (!st.recording) return;
    clearInterval(st.timer);
    st.recording = false;
    flush();
    render();
  }

  const rec = $('#cam-record');
  rec.addEventListener('pointerdown', (e) => { rec.setPointerCapture?.(e.pointerId); startRecording(); });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) rec.addEventListener(ev, stopRecording);
  rec.addEventListener('keydown', (e) => {
    if (e.key !== ' ' && e.key !== 'Enter') return;
    e.preventDefault();
    if (!e.repeat) startRecording();
  });
  rec.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); stopRecording(); } });
  $('#cam-close').addEventListener('click', close);
  $('#cam-device').addEventListener('change', (e) => { stopRecording(); start(e.target.value); });

  function renderCount() {
    const out = $('#cam-count');
    out.dataset.count = String(st.count);
    out.textContent = st.recording || st.count ? t('cam.count', { n: st.count, fps: FPS }) : '';
  }

  function render() {
    if (!st.open) return;
    const k = st.label;
    $('#cam-title').textContent = t('cam.title', { name: names()[k] ?? '' });
    panel.dataset.class = String(k);
    panel.dataset.state = st.error ? 'error' : st.recording ? 'recording' : 'ready';
    $('#cam-device-label').textContent = t('cam.device');
    const sel = $('#cam-device');
    sel.replaceChildren(...st.devices.map((d, i) => new Option(d.label || t('cam.unnamed', { n: i + 1 }), d.deviceId, false, d.deviceId === st.deviceId)));
    sel.disabled = st.devices.length < 2;
    $('#cam-close').textContent = t('cam.close');
    rec.textContent = st.recording ? t('cam.recording') : t('cam.hold', { fps: FPS });
    rec.disabled = !!st.error;
    rec.setAttribute('aria-pressed', String(st.recording));
    view.box.hidden = !!st.error;
    const msg = $('#cam-msg');
    showError(msg, st.error);
    $('#cam-how').textContent = t('cam.how', { fps: FPS });
    renderCount();
  }

  return {
    open, close, render,
    /** The class the panel records into was removed: close, or follow its new index. */
    classRemoved(k) { if (st.label === k) close(); else if (st.label > k) { st.label -= 1; render(); } },
  };
}
