// What a file is, from its first bytes, before anything decodes it: the format (by its
// signature, not by its name or the browser's MIME guess) and, for the formats a
// browser decodes, the width and height the header declares. The page refuses an image
// over the pixel limit with its real size ("121 megapixels") before the decoder could
// run out of memory, and names the format of a file it cannot decode (HEIC, TIFF, ...).
// Pure functions over a `read(offset, length)` callback: tested under Node.

/** Formats Chromium, Firefox and Safari decode with createImageBitmap. */
export const DECODABLE = ['PNG', 'JPEG', 'GIF', 'WebP', 'BMP', 'AVIF'];

/** How much of a JPEG to walk looking for its frame header (EXIF, XMP, ICC come first). */
const JPEG_SCAN = 4 << 20;

const ascii = (b, at, n) => String.fromCharCode(...b.subarray(at, at + n));
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

/** `read` over bytes in memory (tests, and files already read). */
export function bytesReader(bytes) {
  return async (offset, length) => bytes.subarray(offset, offset + length);
}

/** `read` over a Blob / File: only the parts asked for are read. */
export function blobReader(blob) {
  return async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
}

/**
 * `{format, width, height}`: `format` is one of DECODABLE, a named format no browser
 * here decodes ('HEIC', 'TIFF', 'PSD', 'PDF', 'SVG', 'ICO'), or null (not recognised);
 * `width`/`height` are the header's, or null when the header does not say (or the
 * format is not one whose header is read).
 */
export async function sniff(read) {
  const b = await read(0, 64);
  const out = (format, width = null, height = null) => ({ format, width, height });
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
    return out('PNG', u32be(b, 16), u32be(b, 20));
  }
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') return out('PNG');
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(read);
  if (b.length >= 10 && /^GIF8[79]a$/.test(ascii(b, 0, 6))) return out('GIF', u16le(b, 6), u16le(b, 8));
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return webp(b);
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    // BITMAPCOREHEADER (12 bytes) has 16-bit sizes; the later headers 32-bit, a
    // negative height meaning top-down rows.
    return u32le(b, 14) === 12 ? out('BMP', u16le(b, 18), u16le(b, 20)) : out('BMP', Math.abs(i32le(b, 18)), Math.abs(i32le(b, 22)));
  }
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') return isobmff(read, brands(b));
  if (b.length >= 4 && (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*')) return out('TIFF');
  if (b.length >= 4 && ascii(b, 0, 4) === '8BPS') return out('PSD');
  if (b.length >= 5 && ascii(b, 0, 5) === '%PDF-') return out('PDF');
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return out('ICO');
  const head = new TextDecoder().decode(await read(0, 1024)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return out('SVG');
  return out(null);
}

function u32le(b, i) { return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0; }

function webp(b) {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) return { format: 'WebP', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (chunk === 'VP8L' && b.length >= 25) {
    // 14 bits each, minus one, packed after the 0x2f signature byte.
    const width = 1 + (((b[22] & 0x3f) << 8) | b[21]);
    const height = 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6));
    return { format: 'WebP', width, height };
  }
  if (chunk === 'VP8X' && b.length >= 30) return { format: 'WebP', width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
  return { format: 'WebP', width: null, height: null };
}

/** JPEG: walk the marker segments to the first start-of-frame (SOFn), which holds the size. */
async function jpeg(read) {
  let at = 2;
  while (at < JPEG_SCAN) {
    const h = await read(at, 10);
    if (h.length < 4) break;
    if (h[0] !== 0xff) break; // not at a marker: damaged
    const marker = h[1];
    if (marker === 0xff) { at += 1; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; } // no length
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    const len = u16be(h, 2);
    const sof = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (sof) return h.length >= 9 ? { format: 'JPEG', width: u16be(h, 7), height: u16be(h, 5) } : { format: 'JPEG', width: null, height: null };
    if (len < 2) break;
    at += 2 + len;
  }
  return { format: 'JPEG', width: null, height: null };
}

/** The `ftyp` box's major brand and its compatible brands. */
function brands(b) {
  const end = Math.min(b.length, u32be(b, 0));
  const list = [ascii(b, 8, 4)];
  for (let i = 16; i + 4 <= end; i += 4) list.push(ascii(b, i, 4));
  return list;
}

/** ISO base media (AVIF, HEIC): the brands name the format; the largest `ispe` box, the size. */
async function isobmff(read, list) {
  const avif = list.some((x) => x === 'avif' || x === 'avis');
  const heic = !avif && list.some((x) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(x));
  if (!avif && !heic) return { format: null, width: null, height: null };
  const b = await read(0, 64 << 10);
  let width = null;
  let height = null;
  for (let i = 4; i + 16 <= b.length; i++) {
    if (b[i] === 0x69 && ascii(b, i, 4) === 'ispe') {
      const w = u32be(b, i + 8);
      const hh = u32be(b, i + 12);
      if (width === null || w * hh > width * height) { width = w; height = hh; }
    }
  }
  return { format: avif ? 'AVIF' : 'HEIC', width, height };
}
