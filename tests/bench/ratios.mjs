// The ratios of one scripts/bench-browser.sh run: the engine's full training in the
// browser (CPU path, 1, 2 and all workers) against PyTorch on one and on all threads,
// measured just before and just after the browser in the same run. Prints a Markdown
// table; asserts nothing.
// Usage: node tests/bench/ratios.mjs browser.json torch-before.txt torch-after.txt
import { readFileSync } from 'node:fs';

const [browserFile, ...torchFiles] = process.argv.slice(2);
const { results } = JSON.parse(readFileSync(browserFile, 'utf8'));

/** PyTorch's "full model" rows: {threads, batch, ips}. */
function torch(file) {
  const rows = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^full model\s+(\d+)\s+(\d+)\s+(\d+)/);
    if (m) rows.push({ threads: Number(m[1]), batch: Number(m[2]), ips: Number(m[3]) });
  }
  return rows;
}
const runs = torchFiles.map(torch);
const threads = [...new Set(runs.flat().map((r) => r.threads))].sort((a, b) => a - b);
const engine = results.filter((r) => r.config === 'full model' && r.workers && r.imagesPerSecond);

console.log('\n| full training, batch | engine: workers, images/s | ' + threads.map((t) => `PyTorch ${t} thread${t > 1 ? 's' : ''} (before / after)`).join(' | ') + ' | ' + threads.map((t) => `ratio to ${t} thread${t > 1 ? 's' : ''} (mean of before/after)`).join(' | ') + ' |');
console.log('| --- | --- | ' + threads.map(() => '---').join(' | ') + ' | ' + threads.map(() => '---').join(' | ') + ' |');
for (const e of engine) {
  const per = threads.map((t) => runs.map((run) => run.find((r) => r.threads === t && r.batch === e.batch)?.ips));
  const cells = per.map((v) => v.map((x) => x ?? '—').join(' / '));
  const ratios = per.map((v) => {
    const ok = v.filter(Boolean);
    return ok.length ? (e.imagesPerSecond / (ok.reduce((a, b) => a + b, 0) / ok.length)).toFixed(2) : '—';
  });
  console.log(`| ${e.batch} | ${e.workers}: ${Math.round(e.imagesPerSecond)} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
}
