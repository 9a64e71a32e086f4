// What the embed builder hands out, as pure functions (no DOM, so Node tests read the
// same rules): the embed link of a State (written by the settings table, so the link
// reproduces every choice), the iframe code for a frame size, and the frame sizes.
import { toHash, PARTS } from './state.js';

/** The sizes offered, 16:9; any other size is "custom" within these bounds. */
export const SIZES = Object.freeze(['960x540', '1280x720']);
export const SIZE_LIMITS = Object.freeze({ minW: 240, maxW: 3840, minH: 160, maxH: 2160 });

/** `'960x540'` -> `{width: 960, height: 540}`, or null outside SIZE_LIMITS. */
export function parseSize(text) {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(String(text));
  if (!m) return null;
  const [width, height] = [Number(m[1]), Number(m[2])];
  const L = SIZE_LIMITS;
  return width >= L.minW && width <= L.maxW && height >= L.minH && height <= L.maxH ? { width, height } : null;
}

/**
 * The embed link of `state` on the page at `pageUrl` (its hash is replaced). Only the
 * parts in `applicable` (the chosen section's) stay in `hide`, in the table's order.
 */
export function embedLink(pageUrl, state, applicable = null) {
  const keep = (id) => state.hide.includes(id) && (!applicable || applicable.includes(id));
  const hide = PARTS.map((p) => p.id).filter(keep);
  const url = new URL(pageUrl);
  url.hash = '';
  return `${url.href}${toHash({ ...state, embed: true, hide })}`;
}

const attr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The iframe code for `link` in a frame of `size` (`{width, height}`). */
export function iframeCode(link, { width, height }, title) {
  return `<iframe src="${attr(link)}" width="${width}" height="${height}" style="border:0" title="${attr(title)}" loading="lazy"></iframe>`;
}
