//! The example deck: which slide shows, keyboard and button navigation, the slide
//! number in the URL hash (`#4` is the fourth slide), 16:9 scaling to the window, the
//! language (`?lang=ko`, or L / the button), and the playground embeds.
//!
//! An interactive slide holds `<iframe data-stage="N">` (optionally `data-hide`,
//! `data-params`); it gets the playground's embed URL (the page's URL contract:
//! `index.html#stage=N&embed=1&lang=..&theme=light&hide=..`) when
//! its slide is shown or is the next one, so a teacher arriving on it finds it loaded.
//! A language change reloads the embeds already loaded, in the new language.

import { pickLanguage } from '../i18n.js';
import { mountResizeDemo } from './resize-demo.js';

const deck = document.getElementById('deck');
const slides = [...deck.querySelectorAll(':scope > .slide')];
const PLAYGROUND = new URL('../../index.html', import.meta.url);
let current = 0;
let lang = 'en';

/**
 * The embed URL of one frame, in the deck's language: its stage (`data-stage`), the
 * controls it hides (`data-hide="seed,n"`) and any other state keys (`data-params=
 * "ep4=4&n=50"`, see www/state.js).
 */
export function embedUrl(frame, language) {
  let url = `${PLAYGROUND.href}#stage=${frame.dataset.stage}&embed=1&lang=${language}&theme=light`;
  if (frame.dataset.hide) url += `&hide=${encodeURIComponent(frame.dataset.hide)}`;
  if (frame.dataset.params) url += `&${frame.dataset.params}`;
  return url;
}

/**
 * The deck's keys keep working after a click inside an embed: the playground is on the
 * same site, so its keydown events are heard too (text fields, selects and a focused
 * button's Space keep their meaning there, as in the deck). A frame from another
 * origin cannot be listened to; there the ◀ ▶ buttons or a click beside the frame help.
 */
function listenInside(frame) {
  frame.addEventListener('load', () => {
    try { frame.contentWindow.addEventListener('keydown', onKey); } catch { /* another origin */ }
  });
}

function loadFrames(index) {
  for (const k of [index, index + 1]) {
    slides[k]?.querySelectorAll('iframe[data-stage]').forEach((f) => {
      const url = embedUrl(f, lang);
      if (f.dataset.src === url) return;
      if (f.dataset.src) {
        // Only the hash would change, which does not reload a frame: replace it.
        const fresh = f.cloneNode(false);
        fresh.src = url;
        fresh.dataset.src = url;
        listenInside(fresh);
        f.replaceWith(fresh);
      } else {
        listenInside(f);
        f.src = url;
        f.dataset.src = url;
      }
    });
  }
}

function show(index, { focus = false } = {}) {
  current = Math.max(0, Math.min(slides.length - 1, index));
  slides.forEach((s, i) => {
    s.classList.toggle('current', i === current);
    s.setAttribute('aria-hidden', String(i !== current));
    s.setAttribute('aria-label', `${i + 1} / ${slides.length}`);
  });
  document.body.dataset.slide = String(current + 1);
  document.getElementById('counter').textContent = `${current + 1} / ${slides.length}`;
  const hash = `#${current + 1}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
  loadFrames(current);
  if (focus) deck.focus({ preventScroll: true });
}

function fit() {
  const s = Math.min(window.innerWidth / 1280, window.innerHeight / 720);
  // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
  document.documentElement.style.setProperty('--scale', String(s));
}

function setLanguage(code) {
  lang = code === 'ko' ? 'ko' : 'en';
  document.documentElement.lang = lang;
  document.getElementById('lang-toggle').textContent = lang === 'ko' ? 'English' : '한국어';
  const url = new URL(location.href);
  url.searchParams.set('lang', lang);
  history.replaceState(null, '', url);
  // Links to the other pages keep the language (the playground reads it from its hash).
  document.getElementById('link-playground').href = `${PLAYGROUND.href}#lang=${lang}`;
  document.getElementById('link-tutorial').href = new URL(`../tutorial.html?lang=${lang}`, import.meta.url).href;
  slides.forEach((s, i) => { if (s.querySelector('iframe[data-src]')) loadFrames(i); });
  document.dispatchEvent(new CustomEvent('deck:language', { detail: lang }));
}

function slideFromHash() {
  const n = parseInt(location.hash.replace(/^#/, ''), 10);
  return Number.isFinite(n) ? n - 1 : 0;
}

function onKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  const tag = e.target?.tagName;
  const typing = tag === 'INPUT' && !['checkbox', 'radio', 'file', 'button'].includes(e.target.type) || tag === 'TEXTAREA' || tag === 'SELECT' || e.target?.isContentEditable;
  if (typing) return;
  // Space and Enter keep their meaning on a focused control.
  const control = tag === 'BUTTON' || tag === 'A' || tag === 'INPUT' || tag === 'LABEL';
  let to = null;
  switch (e.key) {
    case 'ArrowRight': case 'ArrowDown': case 'PageDown': case 'n': to = current + 1; break;
    case 'ArrowLeft': case 'ArrowUp': case 'PageUp': case 'p': to = current - 1; break;
    case ' ': if (!control) to = e.shiftKey ? current - 1 : current + 1; break;
    case 'Home': to = 0; break;
    case 'End': to = slides.length - 1; break;
    case 'f': case 'F': toggleFullscreen(); e.preventDefault(); return;
    case 'l': case 'L': setLanguage(lang === 'ko' ? 'en' : 'ko'); e.preventDefault(); return;
    default: return;
  }
  if (to === null) return;
  e.preventDefault();
  show(to);
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

function main() {
  deck.tabIndex = -1;
  setLanguage(pickLanguage(new URLSearchParams(location.search).get('lang')));
  fit();
  window.addEventListener('resize', fit);
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', () => show(slideFromHash()));
  document.getElementById('prev').addEventListener('click', () => show(current - 1));
  document.getElementById('next').addEventListener('click', () => show(current + 1));
  document.getElementById('lang-toggle').addEventListener('click', () => setLanguage(lang === 'ko' ? 'en' : 'ko'));
  document.getElementById('fullscreen').addEventListener('click', toggleFullscreen);
  // A click on a slide outside an embed brings the keyboard back to the deck.
  deck.addEventListener('click', (e) => { if (e.target === deck || e.target.classList?.contains('slide')) deck.focus({ preventScroll: true }); });
  mountResizeDemo(document.getElementById('resize-slide'));
  show(slideFromHash());
  document.body.dataset.slides = String(slides.length);
  document.body.dataset.ready = 'true';
}

main();
