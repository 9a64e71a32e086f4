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
 * Opens the playground in `context` (a fresh one from `browser` if given a browser)
 * and waits until it is ready. Returns `{page, context, errors, requests}`: console
 * errors and uncaught exceptions land in `errors`, every request URL in `requests`.
 */
export async function openPage(target, hash = '', { viewport, init, wait = true } = {}) {
  const context = typeof target.newContext === 'function' ? await newContext(target, viewport ? { viewport } : {}) : target;
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  if (init) await page.addInitScript(init);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${BASE}/index.html${hash}`);
  if (wait) await waitReady(page);
  return { page, context, errors, requests };
}

export function waitReady(page) {
  return page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
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
