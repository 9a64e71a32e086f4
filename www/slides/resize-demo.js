//! The resize slide: pick or drop an image (or draw a sample), see the centre crop on
//! the original and the 28x28 grayscale image model A gets, computed by the engine in
//! ./resize-worker.js.

const TEXT = {
  en: { how: 'by the engine ({fn}), v{version}', from: '{w} × {h} px', failed: 'Could not read this image: {message}', busy: 'resizing…' },
  ko: { how: '엔진이 계산 ({fn}), v{version}', from: '{w} × {h} 픽셀', failed: '이 이미지를 읽을 수 없습니다: {message}', busy: '크기를 바꾸는 중…' },
};
const say = (key, vars = {}) => (TEXT[document.documentElement.lang] || TEXT.en)[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));

/**
 * A wide sample picture (480x270): a light shirt-like shape in the middle, coloured bars
 * at the left and right edges that the centre crop cuts away.
 */
async function sampleImage() {
  const c = new OffscreenCanvas(480, 270);
  const g = c.getContext('2d');
  g.fillStyle = '#111';
  g.fillRect(0, 0, 480, 270);
  g.fillStyle = '#d9342b';
  g.fillRect(0, 0, 70, 270);
  g.fillStyle = '#2b6fd9';
  g.fillRect(410, 0, 70, 270);
  g.fillStyle = '#e8e8e8';
  g.beginPath();
  // Body, sleeves and collar of a shirt, about 200 px wide.
  g.moveTo(190, 40); g.lineTo(215, 55); g.lineTo(265, 55); g.lineTo(290, 40);
  g.lineTo(345, 75); g.lineTo(330, 120); g.lineTo(305, 108); g.lineTo(305, 240);
  g.lineTo(175, 240); g.lineTo(175, 108); g.lineTo(150, 120); g.lineTo(135, 75);
  g.closePath();
  g.fill();
  g.fillStyle = '#888';
  g.fillRect(236, 70, 8, 160);
  return c.convertToBlob({ type: 'image/png' });
}

export function mountResizeDemo(root) {
  const $ = (s) => root.querySelector(s);
  const worker = new Worker(new URL('./resize-worker.js', import.meta.url), { type: 'module' });
  const img = $('#orig-img');
  const crop = $('#crop');
  const canvas = $('#resized');
  let lastBlob = null;
  let nextId = 1;
  let objectUrl = null;
  let last = null; // the latest answer, to label again in another language

  function label() {
    if (!last) return;
    if (!last.ok) { $('#resized-how').textContent = say('failed', { message: last.error.message }); return; }
    $('#resized-how').textContent = say('how', { fn: last.how, version: last.version });
    $('#orig-cap').textContent = say('from', { w: last.width, h: last.height });
  }
  document.addEventListener('deck:language', label);

  worker.onmessage = (e) => {
    const m = e.data;
    if (m.id !== nextId - 1) return; // an older request
    root.dataset.busy = 'false';
    if (!m.ok) {
      last = m;
      label();
      root.dataset.state = 'error';
      return;
    }
    const [h, w, c] = m.shape;
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(m.preview), w, h), 0, 0);
    canvas.dataset.shape = `${h}x${w}x${c}`;
    $('#resized-shape').textContent = `${h} × ${w} × ${c}`;
    last = m;
    label();
    // The crop box in percent of the picture (CSSOM, allowed by style-src 'self').
    crop.style.left = `${(100 * m.crop.x) / m.width}%`;
    crop.style.top = `${(100 * m.crop.y) / m.height}%`;
    crop.style.width = `${(100 * m.crop.w) / m.width}%`;
    crop.style.height = `${(100 * m.crop.h) / m.height}%`;
    crop.hidden = false;
    root.dataset.state = 'done';
    root.dataset.how = m.how;
  };

  function run(blob) {
    lastBlob = blob;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(blob);
    img.src = objectUrl;
    crop.hidden = true;
    root.dataset.busy = 'true';
    root.dataset.state = 'busy';
    last = null;
    $('#resized-how').textContent = say('busy');
    worker.postMessage({ id: nextId++, blob, invert: $('#resize-invert').checked });
  }

  // The picture fills a 420x340 box whatever its size, so the crop box reads well.
  img.addEventListener('load', () => {
    const k = Math.min(420 / img.naturalWidth, 340 / img.naturalHeight);
    img.style.width = `${Math.round(img.naturalWidth * k)}px`;
    img.style.height = `${Math.round(img.naturalHeight * k)}px`;
    $('#orig-box').classList.remove('empty');
  });

  $('#resize-file').addEventListener('change', (e) => { if (e.target.files[0]) run(e.target.files[0]); });
  $('#resize-sample').addEventListener('click', async () => run(await sampleImage()));
  $('#resize-invert').addEventListener('change', () => { if (lastBlob) run(lastBlob); });
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = [...e.dataTransfer.files].find((x) => x.type.startsWith('image/')) || e.dataTransfer.files[0];
    if (f) run(f);
  });
}
