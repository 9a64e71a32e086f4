// The Web Worker that owns the engine, so the page never freezes. Its message protocol
// (requests, replies, events, error codes) is www/PROTOCOL.md; the command names are
// protocol.js's COMMANDS. This file is the message loop, `init`, and the rule that a
// trapped or panicked instance is never used again: the reply says `fatal: true`, every
// later request gets the same error, and the page (engine.js) starts a fresh worker.
import init, * as tp from './pkg/transfer_playground.js';
import { S, post, allCounts } from './worker-session.js';
import { chooseBackend } from './worker-gpu.js';
import { dataCommands, adaptSets } from './worker-data.js';
import { imageCommands } from './worker-images.js';
import { modelCommands, setA, describeA } from './worker-models.js';
import { trainCommands } from './worker-train.js';
import { lessonCommands } from './worker-lesson.js';
import { sweepCommands } from './worker-sweep.js';
import { COMMANDS } from './protocol.js';
import { setModule, warmPool } from './worker-pool.js';
import { compileEngine } from './wasm-url.js';
import { perfCommands } from './worker-perf.js';
import { isFatal, pageError, toErrorValue } from './errors.js';

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw pageError('FETCH_FAILED', { url, status: r.status });
  return new Uint8Array(await r.arrayBuffer());
}

const commands = {
  /** Loads the engine, the built-in model A and data, and opens the chosen backend. */
  async init({ base, backend, workers }) {
    // The build for this browser (www/wasm-url.js), compiled once here and handed to the
    // replica workers of data-parallel training (www/worker-pool.js), which then only
    // instantiate it: every worker runs the same code.
    let module;
    try {
      ({ module } = await compileEngine(new URL('./pkg/', base)));
    } catch {
      throw pageError('FETCH_FAILED', { url: new URL('./pkg/transfer_playground_bg.wasm', base).href, status: 0 });
    }
    await init({ module_or_path: module });
    setModule(module);
    S.tp = tp;
    const url = (p) => new URL(p, base).href;
    const [json, weights, meta, tr, va, te, ta] = await Promise.all([
      fetchBytes(url('assets/model-a/model.json')).then((b) => new TextDecoder().decode(b)),
      fetchBytes(url('assets/model-a/weights.bin')),
      fetchBytes(url('assets/model-a/metadata.json')).then((b) => JSON.parse(new TextDecoder().decode(b))),
      fetchBytes(url('assets/task-b/train.tpds')),
      fetchBytes(url('assets/task-b/valid.tpds')),
      fetchBytes(url('assets/task-b/test.tpds')),
      fetchBytes(url('assets/model-a/test-sample.tpds')),
    ]);
    S.taskA = tp.loadImageSet(ta);
    S.builtinRaw = { train: tp.loadImageSet(tr), valid: tp.loadImageSet(va), test: tp.loadImageSet(te) };
    // The backend first: A's accuracy on its own task is measured where training runs.
    const be = await chooseBackend(backend || 'auto');
    S.aMeta = meta;
    S.builtinA = tp.loadLayersModel(json, weights);
    S.a = S.builtinA; // setA needs an A to adapt the sets to
    adaptSets();
    await setA(S.builtinA, 'builtin');
    warmPool(workers); // the replicas start meanwhile, so the first fit finds them ready
    return { backend: be, version: tp.version(), a: describeA(), counts: allCounts() };
  },

  /** The learner's backend choice ('auto' | 'webgpu' | 'cpu'), from the State. */
  async backend({ choice }) {
    return chooseBackend(choice);
  },

  /** Test hook: lose the GPU device (as a driver reset would). */
  simulateDeviceLoss() {
    return tp.__simulateDeviceLoss();
  },

  /** Test hook: a trap inside a command (a Rust panic where the engine can make one). */
  simulateTrap() {
    if (typeof tp.__panicForTest === 'function') tp.__panicForTest();
    throw new WebAssembly.RuntimeError('unreachable');
  },

  ...modelCommands,
  ...trainCommands,
  ...perfCommands,
  ...dataCommands,
  ...imageCommands,
  ...lessonCommands,
  ...sweepCommands,
};

// The command table is the protocol's list, no more and no less.
const extra = Object.keys(commands).filter((c) => !COMMANDS.includes(c));
const missing = COMMANDS.filter((c) => !(c in commands));
if (extra.length || missing.length) throw new Error(`worker commands differ from protocol.js: extra ${extra}, missing ${missing}`);

/** The error that poisoned this instance, once one did. */
let poisoned = null;

/** A fatal error value: a trap, or a panic the engine recorded (Contract 1). */
function fatalValue(err) {
  let panic = null;
  try { panic = S.tp?.panicMessage?.(); } catch { /* a trapped instance may not answer */ }
  if (panic) return { code: 'PANICKED', params: { message: String(panic) }, message: String(panic) };
  if (isFatal(err)) return toErrorValue(err);
  return null;
}

self.onmessage = async (e) => {
  const { id, cmd, args } = e.data;
  if (poisoned) { post({ id, ok: false, error: poisoned, fatal: true }); return; }
  try {
    const f = commands[cmd];
    if (!f) throw pageError('UNKNOWN_COMMAND', { cmd: String(cmd) });
    if (!S.tp && cmd !== 'init') throw pageError('NOT_READY');
    const result = await f(args || {});
    post({ id, ok: true, result });
  } catch (err) {
    const fatal = fatalValue(err);
    if (fatal) poisoned = fatal;
    post({ id, ok: false, error: fatal || toErrorValue(err), fatal: !!fatal });
  }
};

// A trap outside any request (e.g. in a promise nobody awaited) poisons the instance too.
self.onunhandledrejection = (e) => {
  const fatal = fatalValue(e.reason);
  if (fatal && !poisoned) {
    poisoned = fatal;
    post({ type: 'engine', event: 'fatal', reason: fatal });
  }
};

