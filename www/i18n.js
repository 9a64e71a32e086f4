// English and Korean text. Both tables are loaded once, so switching language is
// synchronous: `setLanguage` changes `lang`, and the page re-renders from its state and
// results. `t(key, params)` fills `{name}` placeholders; `apply` fills every element
// marked data-i18n (text), data-i18n-aria-label or data-i18n-title (attributes);
// `describe` words a message value `{key, params}` or an error value
// `{code, params, message}` (see errors.js) in the current language.
import { toErrorValue } from './errors.js';

export const LANGUAGES = ['en', 'ko'];
const dicts = {};
let current = 'en';

export async function loadDictionaries() {
  await Promise.all(LANGUAGES.map(async (l) => {
    if (!dicts[l]) dicts[l] = await fetch(new URL(`./i18n/${l}.json`, import.meta.url)).then((r) => r.json());
  }));
}

/**
 * The language to use: `asked` where it is one of ours (the playground's State, the
 * deck's and the tutorial's `?lang=`), else the browser's.
 */
export function pickLanguage(asked) {
  if (LANGUAGES.includes(asked)) return asked;
  return (navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function setLanguage(code) {
  current = LANGUAGES.includes(code) ? code : 'en';
  document.documentElement.lang = current;
  return current;
}

export const lang = () => current;

export function has(key) {
  return dicts.en?.[key] !== undefined;
}

export function t(key, params = {}) {
  const s = dicts[current]?.[key] ?? dicts.en?.[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`));
}

export function apply(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-aria-label]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel)));
  root.querySelectorAll('[data-i18n-title]').forEach((el) => el.setAttribute('title', t(el.dataset.i18nTitle)));
}

/**
 * An error in the learner's language: the code's translated headline, then the
 * English detail where the engine gave only free text (`params.detail`, or its message
 * when the headline has nothing specific to say).
 */
export function errorText(err) {
  const v = toErrorValue(err);
  const key = `err.${v.code}`;
  const known = has(key);
  const head = known ? t(key, v.params) : t('err.unknown', { code: v.code });
  const specific = known && /\{\w+\}/.test(dicts.en[key]);
  const detail = v.params.detail ?? (specific ? null : v.message);
  return detail && detail !== v.code ? `${head}: ${detail}` : head;
}

/**
 * An error note: hidden where there is no error `err`, else its text (errorText) with
 * its code in `data-code`, for the tests.
 */
export function showError(note, err) {
  note.hidden = !err;
  note.dataset.code = err?.code ?? '';
  note.textContent = err ? errorText(err) : '';
}

/** A message value `{key, params}` or an error value, as text now. */
export function describe(m) {
  if (!m) return '';
  if (m.key) return t(m.key, m.params);
  return errorText(m);
}
