// The worker protocol's one list (www/protocol.js) against its documentation
// (www/PROTOCOL.md) and the code: every command, event and page error code is
// documented; every code the page or worker raises is listed; the worker's command
// table is exactly the list (the worker also refuses to start otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { COMMANDS, EVENTS, PAGE_ERRORS } from '../../www/protocol.js';

const doc = readFileSync('www/PROTOCOL.md', 'utf8');
const www = readdirSync('www').filter((f) => f.endsWith('.js')).map((f) => `www/${f}`)
  .concat(readdirSync('www/stages').map((f) => `www/stages/${f}`))
  .concat(readdirSync('www/own').map((f) => `www/own/${f}`))
  .concat(readdirSync('www/lesson').map((f) => `www/lesson/${f}`));
const code = Object.fromEntries(www.map((f) => [f, readFileSync(f, 'utf8')]));

test('PROTOCOL.md documents every command, event and page error code', () => {
  for (const c of COMMANDS) assert.match(doc, new RegExp(`\\| \`${c}\` \\|`), `command ${c} has a row`);
  for (const e of EVENTS) assert.match(doc, new RegExp(`type: '${e}'`), `event ${e}`);
  for (const c of PAGE_ERRORS) assert.match(doc, new RegExp(`\\| \`${c}\` \\|`), `error code ${c} has a row`);
});

test('every code raised in www/ is a listed page code', () => {
  const raised = new Set();
  // state.js's codes are validation results (valid.CODE texts), not errors.
  for (const [f, src] of Object.entries(code)) {
    if (f === 'www/state.js') continue;
    for (const m of src.matchAll(/pageError\('([A-Z_]+)'/g)) raised.add(m[1]);
    for (const m of src.matchAll(/code: '([A-Z_]+)'/g)) raised.add(m[1]);
  }
  const engineOrBackend = new Set(['PANICKED', 'FREED', 'GPU_UNAVAILABLE', 'SOFTWARE_ADAPTER', 'BAD_PROJECT']);
  const unlisted = [...raised].filter((c) => !PAGE_ERRORS.includes(c) && !engineOrBackend.has(c));
  assert.deepEqual(unlisted, []);
});

test("the worker's command table is the protocol's list", () => {
  const names = new Set();
  for (const f of ['www/worker.js', 'www/worker-models.js', 'www/worker-train.js', 'www/worker-data.js', 'www/worker-images.js', 'www/worker-lesson.js', 'www/worker-sweep.js', 'www/worker-perf.js']) {
    // Methods of the command objects: two-space-indented `name(` or `async name(`.
    for (const m of code[f].matchAll(/^ {2}(?:async )?(\w+)\(\{?[^)]*\)\s*\{/gm)) names.add(m[1]);
  }
  assert.deepEqual([...names].sort(), [...COMMANDS].sort());
});
