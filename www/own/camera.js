// The webcam, for recording samples and for live predictions: one stream at a time
// (getUserMedia), the cameras there are (enumerateDevices: their names are known only
// once the learner has allowed one), a mirrored preview with the square the resizing
// keeps drawn on it, and frames as ImageBitmaps, mirrored as the preview is, so what is
// recorded is what the learner saw. Failures become error values with a code the page
// translates: CAMERA_DENIED, NO_CAMERA, CAMERA_BUSY, CAMERA_UNAVAILABLE.
import { pageError } from '../errors.js';
import { cropRect } from '../image.js';

let current = null; // {stream, owner}

/** The browser's reason as one of the page's codes. */
export function cameraError(err) {
  const name = err?.name || '';
  const detail = `${name}: ${err?.message || err}`;
  if (name === 'NotAllowedError' || name === 'SecurityError') return pageError('CAMERA_DENIED', { detail });
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return pageError('NO_CAMERA', { detail });
  if (name === 'NotReadableError' || name === 'AbortError' || name === 'TrackStartError') return pageError('CAMERA_BUSY', { detail });
  return pageError('CAMERA_UNAVAILABLE', { detail });
}

/** Opens camera `deviceId` (or the default) for `owner`; the previous owner's stream stops. */
export async function openCamera(owner, deviceId) {
  if (!navigator.mediaDevices?.getUserMedia) throw pageError('CAMERA_UNAVAILABLE', { detail: 'navigator.mediaDevices is missing (the page needs https:// or localhost)' });
  closeCamera();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user' }), width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (err) {
    throw cameraError(err);
  }
  current = { stream, owner };
  return stream;
}

/** Stops the stream (of `owner` only, if given). */
export function closeCamera(owner) {
  if (!current || (owner && current.owner !== owner)) return;
  current.stream.getTracks().forEach((tr) => tr.stop());
  current = null;
}

export const cameraOwner = () => current?.owner ?? null;

/** The cameras: `[{deviceId, label}]` (labels are empty until one was allowed). */
export async function listCameras() {
  const all = await navigator.mediaDevices?.enumerateDevices?.() ?? [];
  return all.filter((d) => d.kind === 'videoinput').map((d) => ({ deviceId: d.deviceId, label: d.label }));
}

/** Draws the kept square on `overlay` (sized to the video box) and dims the rest. */
export function drawCrop(overlay, video, [outH, outW]) {
  const bw = video.clientWidth;
  const bh = video.clientHeight;
  if (!bw || !bh || !video.videoWidth) return;
  overlay.width = bw;
  overlay.height = bh;
  const g = overlay.getContext('2d');
  g.clearRect(0, 0, bw, bh);
  // The video is shown with object-fit: contain; map frame pixels to the box.
  const s = Math.min(bw / video.videoWidth, bh / video.videoHeight);
  const ox = (bw - video.videoWidth * s) / 2;
  const oy = (bh - video.videoHeight * s) / 2;
  const r = cropRect(video.videoWidth, video.videoHeight, outW, outH);
  const x = ox + r.x * s; const y = oy + r.y * s; const w = r.w * s; const h = r.h * s;
  g.fillStyle = 'rgba(0, 0, 0, 0.45)';
  g.fillRect(0, 0, bw, bh);
  g.clearRect(x, y, w, h);
  g.strokeStyle = '#ffd400';
  g.lineWidth = 2;
  g.strokeRect(x + 1, y + 1, w - 2, h - 2);
}

/** One frame of `video`, mirrored as the preview shows it, as an ImageBitmap. */
export function grabFrame(video) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return null;
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d');
  g.translate(w, 0);
  g.scale(-1, 1);
  g.drawImage(video, 0, 0, w, h);
  return c.transferToImageBitmap();
}

/** A <video> + crop overlay pair inside `root` (class "cam-box"), playing `stream`. */
export function mountVideo(root) {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.className = 'mirrored';
  const overlay = document.createElement('canvas');
  overlay.className = 'crop';
  overlay.setAttribute('aria-hidden', 'true');
  const box = document.createElement('div');
  box.className = 'cam-box';
  box.append(video, overlay);
  root.append(box);
  return {
    video, overlay, box,
    async play(stream) {
      video.srcObject = stream;
      await video.play();
    },
    stop() { video.srcObject = null; },
  };
}
