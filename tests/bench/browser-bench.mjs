// Runs www/bench.html in headless Chromium (WebGPU enabled, software adapter here) and
// prints its table. Usage: node tests/bench/browser-bench.mjs BASE_URL [query]
// (scripts/bench-browser.sh builds, serves and calls this).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.argv[2] || 'http://127.0.0.1:8137';
const query = process.argv[3] || 'n=256&en=2048';
// A fresh profile each run (playwright wants it as launchPersistentContext's argument).
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tp-bench-')), {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
const page = await browser.newPage();
page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
await page.goto(`${base}/www/bench.html?${query}`);
await page.waitForFunction(() => window.benchDone === true, null, { timeout: 0, polling: 1000 });
const adapter = await page.evaluate(async () => {
  if (!navigator.gpu) return 'no navigator.gpu';
  const a = await navigator.gpu.requestAdapter();
  if (!a) return 'no adapter';
  const i = a.info || {};
  return `${i.vendor || ''} ${i.architecture || ''} ${i.description || ''} fallback=${a.isFallbackAdapter}`.trim();
});
const results = await page.evaluate(() => window.benchResults);
const ua = await page.evaluate(() => navigator.userAgent);
console.log(`browser: ${ua}\nWebGPU adapter: ${adapter}\n`);
const info = await page.evaluate(() => window.benchInfo || {});
console.log(`navigator.hardwareConcurrency: ${info.hardwareConcurrency}, crossOriginIsolated: ${info.crossOriginIsolated}, engine build: ${info.build}\n`);
console.log('| engine | backend | configuration | batch | images | images/s | seconds | note |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.engine} | ${r.backend} | ${r.config} | ${r.batch} | ${r.images} | ${r.imagesPerSecond ? Math.round(r.imagesPerSecond) : '—'} | ${r.seconds ? r.seconds.toFixed(3) : '—'} | ${r.note || ''} |`);
}
// For scripts/bench-browser.sh: the rows as JSON, to put beside PyTorch's.
if (process.env.BENCH_JSON) (await import('node:fs')).writeFileSync(process.env.BENCH_JSON, JSON.stringify({ results, info, ua }));
await browser.close();
