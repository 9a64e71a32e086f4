// Live predictions from the webcam: while on, a frame (mirrored, as previewed, with
// the kept square drawn on it) goes through the same preparation as uploads and is
// predicted by B and B-from-scratch, one frame after the other (about RATE a second,
// never two in flight), until the learner turns it off.
import { t, showError } from './i18n.js';
import { toErrorValue } from './errors.js';
import { prepareOne } from './image.js';
import { openCamera, closeCamera, cameraOwner, drawCrop, grabFrame, mountVideo } from './own/camera.js';

const RATE = 4;

export function mountPredictCamera(ctx, { predict }) {
  const $ = (s) => document.querySelector(s);
  const root = $('#pred-cam-view');
  const msg = document.createElement('p');
  msg.className = 'note warn';
  msg.id = 'pred-cam-msg';
  msg.hidden = true;
  root.append(msg);
  const view = mountVideo(root);
  const st = { on: false, error: null, timer: null, busy: false, frames: 0 };
  const shape = () => ctx.a?.inputShape ?? [28, 28, 1];
  view.video.addEventListener('loadedmetadata', () => drawCrop(view.overlay, view.video, shape()));

  async function once() {
    if (st.busy || !st.on) return;
    // The webcam panel of "Your own images" took the camera: stop here.
    if (cameraOwner() !== 'predict') { stop(); return; }
    const frame = grabFrame(view.video);
    if (!frame) return;
    st.busy = true;
    try {
      await predict(await prepareOne(ctx, { name: 'webcam', bitmap: frame }, shape()));
      st.frames += 1;
      root.dataset.frames = String(st.frames);
    } catch (err) {
      st.error = toErrorValue(err);
      stop();
    } finally {
      st.busy = false;
    }
  }

  async function start() {
    st.error = null;
    st.on = true;
    root.hidden = false;
    render();
    try {
      await view.play(await openCamera('predict'));
      drawCrop(view.overlay, view.video, shape());
      st.timer = setInterval(once, 1000 / RATE);
    } catch (err) {
      st.error = toErrorValue(err);
      stop();
    }
  }

  function stop() {
    clearInterval(st.timer);
    st.on = false;
    closeCamera('predict');
    view.stop();
    view.box.hidden = true;
    render();
  }

  $('#pred-cam').addEventListener('click', () => (st.on ? stop() : start()));

  function render() {
    const btn = $('#pred-cam');
    btn.setAttribute('aria-pressed', String(st.on));
    btn.textContent = st.on ? t('pred.cameraStop') : t('pred.camera');
    view.box.hidden = !st.on;
    root.hidden = !st.on && !st.error;
    root.dataset.state = st.error ? 'error' : st.on ? 'on' : 'off';
    showError(msg, st.error);
  }

  return { render };
}
