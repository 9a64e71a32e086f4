// Images for the "your own images" tests, drawn by the browser itself: simple shapes
// a small CNN tells apart (a disc, an upright bar, a cross), white on black, at odd
// sizes and positions so cropping and resizing matter; plus ways to drop and paste
// files as a learner's browser would deliver them.

/**
 * PNG files for `specs` = [{shape: 'disc' | 'bar' | 'cross', w, h, name?}], drawn in
 * `page`; returns playwright file payloads `{name, mimeType, buffer}`.
 */
export async function shapes(page, specs) {
  const list = await page.evaluate(async (all) => {
    const out = [];
    for (const [i, { shape, w, h }] of all.entries()) {
      const c = new OffscreenCanvas(w, h);
      const g = c.getContext('2d');
      g.fillStyle = '#000';
      g.fillRect(0, 0, w, h);
      g.fillStyle = '#fff';
      const s = Math.min(w, h);
      const cx = w / 2 + ((i * 7) % 5) - 2;
      const cy = h / 2 + ((i * 5) % 5) - 2;
      const r = s * (0.28 + 0.02 * (i % 4));
      if (shape === 'disc') { g.beginPath(); g.arc(cx, cy, r, 0, 2 * Math.PI); g.fill(); }
      if (shape === 'bar' || shape === 'cross') g.fillRect(cx - s * 0.08, cy - r, s * 0.16, 2 * r);
      if (shape === 'cross') g.fillRect(cx - r, cy - s * 0.08, 2 * r, s * 0.16);
      const b = await c.convertToBlob({ type: 'image/png' });
      out.push(btoa(Array.from(new Uint8Array(await b.arrayBuffer()), (x) => String.fromCharCode(x)).join('')));
    }
    return out;
  }, specs);
  return list.map((b64, i) => ({ name: specs[i].name ?? `${specs[i].shape}-${i}-${specs[i].w}x${specs[i].h}.png`, mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') }));
}

/** `n` specs of one shape at odd sizes (from 23x31 up). */
export function many(shape, n, from = 0) {
  return Array.from({ length: n }, (_, k) => ({ shape, w: 23 + 7 * ((k + from) % 9), h: 31 + 5 * ((k + from) % 7) }));
}

/**
 * Dispatches a file drop on the element at `selector`, as the browser does (dragover,
 * then drop). Returns whether each event's default (opening the file) was prevented.
 */
export function dropFiles(page, selector, files) {
  return page.evaluate(({ sel, list }) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.mimeType }));
    const el = document.querySelector(sel);
    const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(over);
    const overlay = !document.querySelector('#drop-overlay').hidden;
    const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(drop);
    return { over: over.defaultPrevented, drop: drop.defaultPrevented, overlay };
  }, { sel: selector, list: files.map((f) => ({ name: f.name, mimeType: f.mimeType, b64: f.buffer.toString('base64') })) });
}

/** Pastes `files` (Ctrl+V of a copied image) with the focus on `selector`'s element. */
export function pasteFiles(page, files, selector = 'body') {
  return page.evaluate(({ sel, list }) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.mimeType }));
    const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    document.querySelector(sel).dispatchEvent(ev);
    return ev.defaultPrevented;
  }, { sel: selector, list: files.map((f) => ({ name: f.name, mimeType: f.mimeType, b64: f.buffer.toString('base64') })) });
}

/** The image count of each class card, in order. */
export function counts(page) {
  return page.$$eval('.class-card', (cards) => cards.map((c) => Number(c.dataset.count)));
}

/** Waits until the class cards hold `expected` images. */
export function waitCounts(page, expected, timeout = 60_000) {
  return page.waitForFunction((e) => {
    const now = [...document.querySelectorAll('.class-card')].map((c) => c.querySelectorAll('.thumb').length);
    return JSON.stringify(now) === JSON.stringify(e);
  }, expected, { timeout });
}
