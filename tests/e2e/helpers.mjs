// Shared set-up for the browser tests: the system Chromium with the project's flags,
// a fresh browser context per test (its own storage, so IndexedDB starts empty), the
// page opened and waited for, console errors collected, screenshots under
// test-artifacts/, and waits on the page's data-* hooks (never on English text).
// Needs a server at $E2E_BASE_URL and Chromium at $CHROMIUM_PATH (scripts/test.sh
// provides both).
import { before, after } from 'node:test';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8137').replace(/\/$/, '');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ART = 'test-artifacts';
export const LONG = 300_000;
export const ARGS = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

/** `args`: more Chromium flags (e.g. the fake camera's). */
export function launch({ webgpu = false, args = [] } = {}) {
  mkdirSync(ART, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...args], headless: true });
}

/** One browser for the test file (before/after hooks); `get()` returns it. */
export function useBrowser(opts) {
  let browser = null;
  before(async () => { browser = await launch(opts); });
  after(async () => { await browser?.close(); });
  return { get: () => browser };
}

/** A fresh context: its own storage (IndexedDB) and downloads allowed. */
export function newContext(browser, { viewport = { width: 1280, height: 900 }, ...rest } = {}) {
  return browser.newContext({ viewport, acceptDownloads: true, ...rest });
}

/**
 * One browser and one context for the test file (before/after hooks), as a teacher's or
 * a learner's one browser window; `get()` returns the context. `options` as newContext's.
 */
export function useContext(options) {
  let browser = null;
  let context = null;
  before(async () => {
    browser = await launch();
    context = await newContext(browser, options);
  });
  after(async () => { await browser?.close(); });
  return { get: () => context };
}

/**
 * Collects what `page` reports: console errors and uncaught exceptions in `errors`
 * (Content-Security-Policy violations included, in the page and its frames), every
 * request URL in `requests`.
 */
export function watch(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  return { errors, requests };
}

/**
 * PNG files drawn by the browser in `page`, as playwright file payloads
 * `{name, mimeType, buffer}`: each picture `{name, w, h, background, rects: [[fill, x, y, w, h], ...]}`
 * is its background with the rectangles filled on it in order.
 */
export async function pngFiles(page, pictures) {
  const list = await page.evaluate(async (all) => {
    const out = [];
    for (const { w, h, background, rects = [] } of all) {
      const c = new OffscreenCanvas(w, h);
      const g = c.getContext('2d');
      g.fillStyle = background;
      g.fillRect(0, 0, w, h);
      for (const [fill, x, y, rw, rh] of rects) {
        g.fillStyle = fill;
        g.fillRect(x, y, rw, rh);
      }
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      out.push(btoa(bin));
    }
    return out;
  }, pictures);
  return list.map((b64, i) => ({ name: pictures[i].name, mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') }));
}

/**
 * Opens the playground in `context` (a fresh one from `browser` if given a browser)
 * and waits until it is ready. Returns `{page, context, errors, requests}`: console
 * errors and uncaught exceptions land in `errors`, every request URL in `requests`.
 */
export async function openPage(target, hash = '', { viewport, init, wait = true } = {}) {
  const context = typeof target.newContext === 'function' ? await newContext(target, viewport ? { viewport } : {}) : target;
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  if (init) await page.addInitScript(init);
  const { errors, requests } = watch(page);
  await page.goto(`${BASE}/index.html${hash}`);
  if (wait) await waitReady(page);
  return { page, context, errors, requests };
}

export function waitReady(page) {
  return page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
}

/**
 * Puts `perClass[i]` (file payloads) into class i of "your own images", waiting for each
 * class's thumbnails, then uses them as the data set.
 */
export async function useOwnImages(page, perClass) {
  for (const [i, files] of perClass.entries()) {
    await page.setInputFiles(`#files-${i}`, files);
    await page.waitForFunction(([k, n]) => document.querySelectorAll(`#thumbs-${k} .thumb`).length === n, [i, files.length]);
  }
  await page.click('#own-use');
}

/** Waits until the section holding result `kind` is in `state` ('fresh', 'stale', 'none'). */
export function waitResult(page, kind, state = 'fresh', timeout = LONG) {
  return page.waitForSelector(`[data-result="${kind}"][data-state="${state}"]`, { timeout });
}

/** Waits until train view `n` (3, 4, 5) has `status` ('done', 'stopped', 'error', ...). */
export function waitView(page, n, status = 'done', timeout = LONG) {
  return page.waitForSelector(`#view-${n}[data-status="${status}"]`, { timeout });
}

/** The test accuracy a train view shows. */
export async function testAccuracy(page, n) {
  return Number(await page.getAttribute(`#view-${n} .test-acc`, 'data-value'));
}

/** Screenshot of the page (or of one element) as test-artifacts/<name>.png. */
export async function shot(page, name, selector) {
  const target = selector ? page.locator(selector) : page;
  await target.screenshot({ path: `${ART}/${name}.png`, ...(selector ? {} : { fullPage: true }) });
}
