// The translation tables, checked without a browser: every key in both languages with
// the same placeholders; every key the page uses exists (data-i18n* attributes in
// index.html, t('...') in www/, the settings' labels and options, validation, page
// and engine error codes); Korean values are Korean; and the Korean keeps one term
// per concept, as the Korean edition of Hands-On ML does (훈련 for training; 학습 only
// in 전이 학습 and 학습률).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, PARTS } from '../../www/state.js';
import { PAGE_ERRORS } from '../../www/protocol.js';

const en = JSON.parse(readFileSync('www/i18n/en.json', 'utf8'));
const ko = JSON.parse(readFileSync('www/i18n/ko.json', 'utf8'));
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
// Contract 1's engine codes (PLAN.md), which the page translates.
const ENGINE_CODES = ['SHAPE', 'CONFIG', 'UNSUPPORTED', 'FORMAT', 'DATA', 'NOT_COMPILED', 'DIVERGED', 'LIMIT', 'BAD_OPTION', 'GPU_LOST', 'GPU_UNAVAILABLE', 'BUSY', 'FREED', 'FIT_INTERLEAVED', 'PANICKED'];
const VALIDATION_CODES = ['NOT_A_NUMBER', 'NOT_INTEGER', 'TOO_SMALL', 'TOO_LARGE', 'TOO_MANY_IMAGES', 'NOT_ONE_OF', 'BAD_LIST', 'UNKNOWN_SETTING'];

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (['pkg', 'i18n', 'tutorial', 'slides'].includes(e.name) ? [] : sources(join(dir, e.name))) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

test('every key exists in both languages, with the same placeholders', () => {
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  for (const k of Object.keys(en)) assert.deepEqual(placeholders(ko[k]), placeholders(en[k]), `placeholders of ${k}`);
});

test('every key the page uses has a text', () => {
  const used = new Set();
  const html = readFileSync('index.html', 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-aria-label|-title)?="([^"]+)"/g)) used.add(m[1]);
  for (const file of sources('www')) {
    const js = readFileSync(file, 'utf8');
    for (const m of js.matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]);
    for (const m of js.matchAll(/runLabel: '([\w.]+)'/g)) used.add(m[1]);
    if (!file.endsWith('state.js')) for (const m of js.matchAll(/\{ key: '([\w.]+)'/g)) used.add(m[1]);
  }
  for (const s of SETTINGS) {
    used.add(s.label);
    if (s.type === 'enum') for (const v of s.values.filter(Boolean)) used.add(`opt.${s.key}.${v}`);
  }
  for (const p of PARTS) used.add(p.label);
  for (const k of ['modelA', 'modelB', 'training', 'compare', 'layers', 'log', 'code']) used.add(`embed.tab.${k}`);
  for (const k of ['lang', 'theme']) used.add(`embed.${k}Any`); // the builder's '' option
  for (const c of VALIDATION_CODES) used.add(`valid.${c}`);
  for (const c of [...PAGE_ERRORS, ...ENGINE_CODES, 'unknown']) used.add(`err.${c}`);
  for (const c of ['sandal', 'shirt']) used.add(`class.${c}`);
  for (const e of ['replaced', 'failed']) used.add(`engine.${e}`);
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, [], 'keys used but not in en.json');
  assert.ok(used.size > 150, `found ${used.size} keys in use`);
});

test('Korean values are Korean, and one term per concept', () => {
  // Values that are the same in both languages by design (names, symbols).
  const same = new Set(['opt.be.webgpu', 'opt.be.cpu', 'opt.lang.en', 'opt.lang.ko', 'be.webgpu', 'be.cpuName', 'stale.setting', 'pred.prob', 's1.caption']);
  for (const [k, v] of Object.entries(ko)) {
    if (same.has(k)) continue;
    assert.match(v, /[\uac00-\ud7a3]/, `ko.${k} has no Hangul: ${v}`);
  }
  for (const [k, v] of Object.entries(ko)) {
    // 학습 only inside 전이 학습 and 학습률: training is 훈련.
    const stray = v.replace(/전이 학습|학습률/g, '').match(/학습/);
    assert.equal(stray, null, `ko.${k} uses 학습 for training: ${v}`);
    for (const [bad, good] of [['파인 튜닝', '미세 조정'], ['파인튜닝', '미세 조정'], ['고정된 층', '동결된 층'], ['밸리데이션', '검증'], ['트레이닝', '훈련'], ['레이어', '층'], ['웨이트', '가중치']]) {
      assert.ok(!v.includes(bad), `ko.${k} says ${bad}; the book says ${good}`);
    }
  }
  assert.equal(ko['class.sandal'], '샌들');
  assert.equal(ko['class.shirt'], '셔츠');
});
