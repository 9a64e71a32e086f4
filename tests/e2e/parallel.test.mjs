// Data-parallel training in the page (www/worker-pool.js), on both transports: the
// server at E2E_BASE_URL (not cross-origin isolated: transferred buffers) and a second
// one this file starts with `xtask serve --isolate` (SharedArrayBuffer + Atomics). On
// each: stages 3 and 4 on 2 workers equal the 1-worker run within float rounding
// (histories, test accuracy) and every replica ends bit-identical to worker 0; the page
// says how many workers trained and how long the compute took; a replica that traps
// mid-fit leaves the job to finish on one worker, with a note and the same result; a
// model whose sharded step would differ (Dropout, BatchNormalization) trains on one
// worker and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BASE, LONG, useBrowser, openPage, waitView, shot } from './helpers.mjs';

const browser = useBrowser();
const XTASK = 'target/release/xtask';
const ISO_PORT = Number(process.env.E2E_ISOLATED_PORT || 8149);
let isolated = null; // the --isolate server, when it could be started

before(async () => {
  if (!existsSync(XTASK)) return;
  isolated = spawn(XTASK, ['serve', '--root', '.', '--port', String(ISO_PORT), '--isolate'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`http://127.0.0.1:${ISO_PORT}/index.html`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(() => { isolated?.kill(); });

/** The servers to run on: the plain one, and the isolated one if it started. */
function servers(t) {
  const list = [{ name: 'transfer', base: BASE, isolated: false }];
  if (isolated) list.push({ name: 'shared', base: `http://127.0.0.1:${ISO_PORT}`, isolated: true });
  else t.diagnostic(`SKIP the SharedArrayBuffer transport: ${XTASK} is missing (cargo build --release -p xtask)`);
  return list;
}

async function open(server, hash = '') {
  const context = await browser.get().newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.base}/index.html${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), server.isolated, `${server.name}: crossOriginIsolated`);
  return { page, context, errors };
}

const call = (page, cmd, args) => page.evaluate(([c, a]) => window.__playground.call(c, a), [cmd, args]);

/** Stage 3 then stage 4 through the worker protocol, on `workers` workers. */
async function stages(page, workers) {
  const common = { scenario: 'builtin', n: 200, batchSize: 32, seed: 42, workers };
  const s3 = await call(page, 'train', { job: 'stage3', id: `s3-${workers}`, lr: 0.01, epochs: 4, ...common });
  const s4 = await call(page, 'train', { job: 'stage4', id: `s4-${workers}`, from: `s3-${workers}`, lr: 1e-4, epochs: 16, ...common });
  return { s3, s4 };
}

function close(what, a, b, tol) {
  assert.equal(a.length, b.length, `${what}: lengths`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${v} vs ${b[i]}`));
}

function sameRun(what, got, want) {
  for (const k of ['loss', 'val_loss']) close(`${what} ${k}`, got.history[k], want.history[k], 1e-5);
  for (const k of ['accuracy', 'val_accuracy']) close(`${what} ${k}`, got.history[k], want.history[k], 0.006);
  assert.ok(Math.abs(got.test.accuracy - want.test.accuracy) <= 0.001, `${what} test accuracy ${got.test.accuracy} vs ${want.test.accuracy}`);
  close(`${what} test loss`, [got.test.loss], [want.test.loss], 1e-4);
}

test('stages 3 and 4 on 2 workers equal the 1-worker run; replicas end bit-identical to worker 0', { timeout: LONG * 2 }, async (t) => {
  for (const server of servers(t)) {
    const { page, context, errors } = await open(server);
    const one = await stages(page, 1);
    assert.equal(one.s3.timing.workers, 1);
    assert.equal(one.s3.timing.transport, null, 'one worker is the one-engine path');
    const two = await stages(page, 2);
    for (const s of ['s3', 's4']) {
      assert.equal(two[s].timing.workers, 2, `${server.name} ${s}: trained on 2 workers`);
      assert.equal(two[s].timing.transport, server.name, `${server.name} ${s}: transport`);
      assert.ok(two[s].timing.computeMs > 0 && two[s].timing.computeMs <= two[s].timing.wallMs + 1);
      sameRun(`${server.name} ${s}`, two[s], one[s]);
    }
    // The frozen base of stage 3 is unchanged, on several workers too.
    assert.equal(two.s3.frozenAfter, two.s3.frozenBefore);
    const check = await call(page, 'parallelCheck');
    assert.equal(check.workers, 2);
    assert.equal(check.transport, server.name);
    assert.equal(check.replicas.length, 1);
    assert.equal(check.equal, true, `${server.name}: replica ${check.replicas} vs worker 0 ${check.coordinator}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('the page says how many workers trained and how long the compute took', { timeout: LONG }, async (t) => {
  for (const server of servers(t)) {
    const { page, context, errors } = await open(server, '#wk=2&ep4=2');
    assert.equal(await page.inputValue('#wk'), '2');
    assert.equal(await page.getAttribute('#workers', 'data-workers'), '2', 'the badge says how many CPU workers train');
    assert.ok(await page.isVisible('#workers'));
    await page.click('#run-4');
    await waitView(page, 4, 'done');
    for (const n of [3, 4]) {
      const took = page.locator(`[data-testid="timing-${n}"]`);
      assert.equal(await took.getAttribute('data-workers'), '2');
      assert.ok(Number(await took.getAttribute('data-compute-ms')) > 0);
      assert.match(await took.textContent(), /2/);
      // The log keeps one line per epoch: how the workers shared the work is in the result line.
      assert.equal(await page.locator(`#log-${n} li`).count(), n === 3 ? 4 : 2);
    }
    await shot(page, `parallel-${server.name}`, '#stage-4');
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('Stop while the workers are being set up is kept: the run stops before its first batch and resumes to the end', { timeout: LONG }, async (t) => {
  for (const server of servers(t)) {
    const { page, context, errors } = await open(server);
    const r = await page.evaluate(async () => {
      const p = window.__playground;
      const events = [];
      const off = p.onProgress((job, ev) => { if (job === 'stage3') events.push(ev.type); });
      // 'stop' reaches the worker while 'train' is still setting up the replicas.
      const train = p.call('train', { job: 'stage3', id: 's3-stop', scenario: 'builtin', classNames: ['sandal', 'shirt'], n: 50, batchSize: 5, seed: 1, lr: 0.01, epochs: 1, workers: 2 });
      await p.call('stop', { job: 'stage3' });
      const first = await train;
      const before = [...events];
      const second = await p.call('resume', { job: 'stage3' });
      off();
      return { first, before, second: { epochs: second.history.loss.length, workers: second.timing.workers, stopped: second.stopped } };
    });
    assert.deepEqual(r.first, { stopped: true }, `${server.name}: the first answer is 'stopped'`);
    assert.ok(!r.before.includes('batch'), `${server.name}: no batch ran before the stop: ${r.before}`);
    assert.deepEqual(r.second, { epochs: 1, workers: 2, stopped: false });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a replica that traps mid-fit: the job finishes on one worker, says so, same result', { timeout: LONG }, async (t) => {
  for (const server of servers(t)) {
    const { page, context, errors } = await open(server, '#wk=2');
    const want = await call(page, 'train', { job: 'stage3', id: 'one', scenario: 'builtin', lr: 0.01, epochs: 4, n: 200, batchSize: 32, seed: 7, workers: 1 });
    // Through the page, so that the note shows: the replica traps in its first step.
    await page.evaluate(() => window.__playground.call('train', { job: 'stage3', id: 'warm', scenario: 'builtin', lr: 0.01, epochs: 1, n: 64, batchSize: 32, seed: 7, workers: 2 }));
    assert.equal(await call(page, 'trapReplica'), true);
    await page.fill('#seed', '7');
    await page.dispatchEvent('#seed', 'change');
    await page.click('#run-3');
    await waitView(page, 3, 'done');
    const lost = page.locator('#log-3 li.workersLost');
    assert.equal(await lost.count(), 1, `${server.name}: the log says a worker was lost`);
    assert.equal(await page.getAttribute('[data-testid="timing-3"]', 'data-workers'), '1');
    const got = Number(await page.getAttribute('#view-3 .test-acc', 'data-value'));
    assert.ok(Math.abs(got - want.test.accuracy) <= 0.001, `${server.name}: ${got} vs ${want.test.accuracy}`);
    // The engine worker itself was not replaced: the trap was the replica's.
    assert.equal(await page.locator('#engine-note:not([hidden])').count(), 0);
    assert.deepEqual(errors.filter((e) => !/unreachable|panicked|RuntimeError/i.test(e)), []);
    await context.close();
  }
});

test('a model whose sharded step would differ trains on one worker and says why', { timeout: LONG }, async (t) => {
  const [server] = servers(t);
  const { page, context } = await open(server);
  const bytes = [...readFileSync('tests/fixtures/keras/rgb_bn.keras')];
  await page.evaluate((b) => window.__playground.call('loadKeras', { bytes: new Uint8Array(b) }), bytes);
  const r = await call(page, 'train', { job: 'stage3', id: 'bn', scenario: 'builtin', lr: 0.01, epochs: 1, n: 40, batchSize: 16, seed: 1, workers: 2 });
  assert.equal(r.timing.workers, 1);
  assert.equal(r.timing.asked, 2);
  assert.equal(r.timing.reason.key, 'perf.ONE_WORKER_MODEL');
  assert.match(r.timing.reason.params.detail, /Dropout|BatchNormalization/);
  await context.close();
});
