// The settings table (www/state.js) without a browser: every valid value of every
// setting round-trips through the link (toHash -> parseHash); the values the issue
// found accepted by inputs and refused by links (lr3=2, lr4=5, 2.5 epochs, 100000
// images) are refused by the one rule both use; a refused link value is reported,
// not silently replaced; and the dependency column marks the right results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, SETTING, DEFAULTS, PARTS, validate, parseHash, toHash, dependsOn, envFor } from '../../www/state.js';

const env = { available: 200 };

/** A few valid values per setting: the ends of each range and one inside. */
function validValues(s) {
  if (s.type === 'int' || s.type === 'float') {
    const max = typeof s.max === 'function' ? s.max(env) : s.max;
    const mid = s.type === 'int' ? Math.round((s.min + max) / 3) : (s.min + max) / 3;
    return [s.min, mid, max, s.default];
  }
  if (s.type === 'enum') return s.values;
  if (s.type === 'bool') return [true, false];
  return [[], ['seed'], ['lr3', 'n', 'log'], s.values];
}

test('every valid value of every setting round-trips through the link', () => {
  for (const s of SETTINGS) {
    for (const v of validValues(s)) {
      const state = { ...structuredClone(DEFAULTS), [s.key]: v };
      const { state: back, errors } = parseHash(toHash(state), env);
      assert.deepEqual(errors, [], `${s.key}=${JSON.stringify(v)}`);
      assert.deepEqual(back[s.key], v, `${s.key}=${JSON.stringify(v)} through ${toHash(state)}`);
      // What a link holds, an input accepts: the same rule on the same text.
      if (s.type === 'int' || s.type === 'float') assert.equal(validate(s.key, String(v), env).ok, true);
    }
  }
});

test('values outside the table are refused by input and link alike, with a code', () => {
  const cases = [
    ['lr3', '2', 'TOO_LARGE'], ['lr3', '0', 'TOO_SMALL'], ['lr3', 'abc', 'NOT_A_NUMBER'], ['lr3', '', 'NOT_A_NUMBER'],
    ['lr4', '5', 'TOO_LARGE'], ['ep3', '2.5', 'NOT_INTEGER'], ['ep4', '0', 'TOO_SMALL'], ['ep4', '201', 'TOO_LARGE'],
    ['n', '100000', 'TOO_MANY_IMAGES'], ['n', '201', 'TOO_MANY_IMAGES'], ['seed', '-1', 'TOO_SMALL'], ['bs', '0x10', 'NOT_A_NUMBER'],
    ['be', 'tpu', 'NOT_ONE_OF'], ['scenario', 'mine', 'NOT_ONE_OF'], ['embed', 'yes', 'NOT_ONE_OF'], ['hide', 'a b', 'BAD_LIST'],
  ];
  for (const [key, raw, code] of cases) {
    const r = validate(key, raw, env);
    assert.equal(r.ok, false, `${key}=${raw}`);
    assert.equal(r.code, code, `${key}=${raw}`);
    const link = parseHash(`#${key}=${encodeURIComponent(raw)}`, env);
    assert.deepEqual(link.errors.map((e) => [e.key, e.code]), [[key, code]], `link ${key}=${raw}`);
    assert.deepEqual(link.state[key], DEFAULTS[key], 'the default is used, and the error says so');
  }
  // Integers stay integers: 3.0 is 3, never 2.5 rounded.
  assert.deepEqual(validate('ep3', '3.0', env), { ok: true, value: 3 });
});

test("the image count's range is the scenario's: the learner's set, once known", () => {
  const available = { builtin: 200, own: 29 };
  const at = (st) => envFor(st.scenario, available);
  assert.equal(parseHash('#scenario=own&n=29', at).errors.length, 0);
  assert.equal(parseHash('#n=29&scenario=own', at).state.n, 29);
  assert.deepEqual(parseHash('#scenario=own&n=30', at).errors.map((e) => e.code), ['TOO_MANY_IMAGES']);
  // No images of their own yet: the count is not capped here; the page says there are none.
  assert.equal(parseHash('#scenario=own&n=20', (st) => envFor(st.scenario, { builtin: 200, own: null })).state.n, 20);
});

test('each result depends on the settings it is computed from', () => {
  assert.deepEqual(dependsOn('stage4').sort(), ['bs', 'ep3', 'ep4', 'lr3', 'lr4', 'n', 'scenario', 'seed'].sort());
  assert.deepEqual(dependsOn('stage3').sort(), ['bs', 'ep3', 'lr3', 'n', 'scenario', 'seed'].sort());
  assert.deepEqual(dependsOn('scratch').sort(), ['bs', 'ep3', 'ep4', 'lr3', 'n', 'scenario', 'seed'].sort());
  assert.deepEqual(dependsOn('stage1'), ['seed']);
  for (const k of ['be', 'lang', 'theme', 'stage', 'embed', 'hide', 'scale']) assert.deepEqual(SETTING[k].affects, []);
});

test('hide= names parts from the table only; the list reads as written in a link', () => {
  // Every part the embed builder offers is a valid name, and only those.
  assert.deepEqual(SETTING.hide.values, PARTS.map((p) => p.id));
  for (const id of ['lr3', 'ep3', 'n', 'seed', 'lr4', 'ep4', 'backend', 'code', 'log', 'charts', 'layers', 'fingerprints', 'progress']) {
    assert.ok(SETTING.hide.values.includes(id), `${id} can be hidden`);
  }
  const typo = parseHash('#hide=seed,sed', env);
  assert.deepEqual(typo.errors.map((e) => [e.key, e.code, e.params.unknown]), [['hide', 'BAD_LIST', 'sed']]);
  assert.equal(toHash({ ...structuredClone(DEFAULTS), hide: ['seed', 'code'], embed: true }), '#embed=1&hide=seed,code');
  // The presenter scale: a number in a range, like any other setting.
  assert.deepEqual(validate('scale', '1.25', env), { ok: true, value: 1.25 });
  assert.equal(validate('scale', '3', env).code, 'TOO_LARGE');
  assert.equal(validate('scale', '0.2', env).code, 'TOO_SMALL');
});
