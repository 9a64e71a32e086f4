// English and Korean text: `t(key, vars)` looks a key up in the chosen language
// (falling back to English) and fills `{name}` placeholders; `apply` fills every
// element with a data-i18n attribute.

const dicts = {};
let lang = 'en';

export async function loadLanguage(code) {
  lang = code === 'ko' ? 'ko' : 'en';
  for (const l of new Set(['en', lang])) {
    if (!dicts[l]) dicts[l] = await fetch(new URL(`./i18n/${l}.json`, import.meta.url)).then((r) => r.json());
  }
  document.documentElement.lang = lang;
  return lang;
}

/** The language from the URL state, else the browser's. */
export function pickLanguage(stateLang) {
  if (stateLang) return stateLang;
  return (navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function t(key, vars = {}) {
  const s = dicts[lang]?.[key] ?? dicts.en?.[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

export function apply(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    const key = el.dataset.i18n;
    if (dicts.en?.[key] !== undefined || dicts[lang]?.[key] !== undefined) el.textContent = t(key);
  });
}

/** An engine error in the learner's language: a known code, or the engine's own message. */
export function errorText(err) {
  const msg = String(err?.message ?? err);
  const known = dicts.en?.[`err.${msg}`];
  return known !== undefined ? t(`err.${msg}`) : t('err.prefix', { message: msg });
}
