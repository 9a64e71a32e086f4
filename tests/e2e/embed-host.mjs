// For the embed tests: a host page on ANOTHER origin (a tiny server on its own port,
// addressed as `localhost` while the playground is at $E2E_BASE_URL's 127.0.0.1), as a
// slide deck elsewhere would hold the iframe; and the layout report of an embedded
// document: its scroll size against the frame, the fit factor, and every visible
// element that sticks out of the frame, overflows its own box (clipped or scrolled
// text) or overlaps another part of the section.
import { createServer } from 'node:http';
import { before, after } from 'node:test';

/** A host server for the test file; `page(html)` returns the URL that serves `html`. */
export function useHost() {
  const pages = new Map();
  let server = null;
  let origin = null;
  before(async () => {
    server = createServer((req, res) => {
      const html = pages.get(new URL(req.url, 'http://x').pathname);
      res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html ?? 'not found');
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://localhost:${server.address().port}`;
  });
  after(() => new Promise((ok) => (server ? server.close(ok) : ok())));
  return {
    page(html) {
      const path = `/host-${pages.size + 1}.html`;
      pages.set(path, `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title><style>body{margin:8px;font:14px sans-serif}</style></head><body>${html}</body></html>`);
      return `${origin}${path}`;
    },
    origin: () => origin,
  };
}

/** The frame of `page` whose URL starts with `prefix`, once it exists (iframes may load lazily). */
export async function frameFrom(page, prefix, timeout = 30_000) {
  const until = Date.now() + timeout;
  for (;;) {
    const f = page.frames().find((x) => x.url().startsWith(prefix));
    if (f) return f;
    if (Date.now() > until) throw new Error(`no frame from ${prefix}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The embedded document's layout, measured inside the frame. */
export function layoutReport(frame) {
  return frame.evaluate(() => {
    const root = document.documentElement;
    const W = innerWidth;
    const H = innerHeight;
    const problems = [];
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
    const section = document.querySelector('section.stage:not([hidden])');
    const logTab = section?.dataset.tab === 'log';
    const skip = (el) => ['INPUT', 'SELECT', 'OPTION', 'TEXTAREA', 'PROGRESS', 'CANVAS', 'BR'].includes(el.tagName)
      || (logTab && el.matches('.epochs'));
    for (const el of document.body.querySelectorAll('*')) {
      if (!el.checkVisibility?.() || skip(el)) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if (r.right > W + 1 || r.bottom > H + 1 || r.left < -1 || r.top < -1) problems.push(`outside: ${name(el)} [${Math.round(r.left)},${Math.round(r.top)} - ${Math.round(r.right)},${Math.round(r.bottom)}]`);
      if (el.clientWidth && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
        problems.push(`overflows its box: ${name(el)} (${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight})`);
      }
    }
    // The section's parts (its grid items, through display: contents wrappers) do not overlap.
    const items = [];
    const collect = (parent) => {
      for (const el of parent.children) {
        if (getComputedStyle(el).display === 'contents') collect(el);
        else if (el.checkVisibility()) items.push(el);
      }
    };
    if (section) collect(section);
    const rects = items.map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [a, ra] = rects[i];
        const [b, rb] = rects[j];
        const ox = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const oy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (ox > 1 && oy > 1) problems.push(`overlap: ${name(a)} and ${name(b)}`);
      }
    }
    // Chart legends fit their canvas, and a chart is tall enough to read (8 of its text lines).
    for (const c of document.querySelectorAll('canvas.chart')) {
      if (!c.checkVisibility()) continue;
      if (c.dataset.legendFits === 'false') problems.push(`legend cut: ${name(c)}`);
      const line = parseFloat(getComputedStyle(c).fontSize);
      if (c.clientHeight < 7.5 * line) problems.push(`chart squeezed: ${name(c)} ${c.clientHeight}px for ${line}px text`);
    }
    return {
      scrollWidth: root.scrollWidth, scrollHeight: root.scrollHeight, width: W, height: H,
      fit: Number(root.dataset.fit), lang: root.lang, stage: section?.dataset.view ?? null, tab: section?.dataset.tab ?? null, problems,
    };
  });
}
