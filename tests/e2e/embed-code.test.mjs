// What the embed builder hands out (www/embed-code.js), without a browser: the link
// holds the whole State through the settings table (so parsing it gives the State
// back), keeps in `hide` only the chosen section's parts in the table's order, and
// the iframe code escapes what HTML needs escaped; frame sizes stay in bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, parseHash } from '../../www/state.js';
import { embedLink, iframeCode, parseSize, SIZES } from '../../www/embed-code.js';

const PAGE = 'http://127.0.0.1:8137/index.html#lr3=0.5&stage=2';

test('the embed link carries the State and reads back to it', () => {
  const state = { ...structuredClone(DEFAULTS), stage: '4', lang: 'ko', theme: 'dark', scale: 1.25, lr4: 0.001, hide: ['code', 'seed', 'lr4'] };
  const link = embedLink(PAGE, state, ['lr4', 'ep4', 'code', 'log']);
  assert.match(link, /^http:\/\/127\.0\.0\.1:8137\/index\.html#/);
  assert.ok(!link.includes('lr3=0.5'), 'the page\'s own hash is replaced');
  const back = parseHash(new URL(link).hash);
  assert.deepEqual(back.errors, []);
  // seed is not a part of stage 4: dropped; the others in the table's order.
  assert.deepEqual(back.state, { ...state, embed: true, hide: ['lr4', 'code'] });
  assert.match(link, /hide=lr4,code/);
});

test('the iframe code escapes the link and the title', () => {
  const code = iframeCode('http://x/index.html#a=1&b="2"', { width: 1280, height: 720 }, 'A & B <c>');
  assert.equal(code, '<iframe src="http://x/index.html#a=1&amp;b=&quot;2&quot;" width="1280" height="720" style="border:0" title="A &amp; B &lt;c>" loading="lazy"></iframe>');
});

test('frame sizes: the offered ones, custom ones within bounds', () => {
  assert.deepEqual(SIZES.map(parseSize), [{ width: 960, height: 540 }, { width: 1280, height: 720 }]);
  assert.deepEqual(parseSize('800x600'), { width: 800, height: 600 });
  for (const bad of ['100x600', '800x100', '5000x600', '800x3000', '800', 'axb', '']) assert.equal(parseSize(bad), null, bad);
});
