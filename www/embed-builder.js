// The embed builder (the top bar's "Embed in a slide…", or a section's own "Embed…"
// button): a dialog that edits a draft State — the page's own, on the section the teacher
// is on — for one embedded section:
// which section, language, theme, presenter scale and parts; plus the frame size. A
// live preview shows the draft's link in a frame of that size, scaled to fit the
// dialog; the iframe code or the plain link go to the clipboard, and are always shown
// in a text box too (selected, with a note, where the clipboard is refused).
import { SETTING, PARTS, validate } from './state.js';
import { t, lang } from './i18n.js';
import { parseSize, embedLink, iframeCode } from './embed-code.js';

const STAGES = ['1', '2', '3', '4', 'compare', 'errors', 'features', 'movement', 'sweep', 'predict'];
const GLOBAL_PARTS = ['backend', 'status']; // in the embed's status bar, for every section

/** The parts a section has (what its checkboxes offer). */
function partsOf(stage) {
  const sec = document.querySelector(`section[data-view="${stage}"]`);
  return PARTS.map((p) => p.id).filter((id) => GLOBAL_PARTS.includes(id) || sec.querySelector(`[data-control="${id}"]`));
}

export function mountEmbedBuilder(ctx) {
  const $ = (s) => document.querySelector(s);
  const dialog = $('#embed-dialog');
  const frame = $('#eb-preview');
  const code = $('#eb-code');
  let draft = null;
  let size = { width: 960, height: 540 };

  const fill = (select, key, values) => {
    select.replaceChildren(...values.map((v) => new Option(v ? t(`opt.${key}.${v}`) : t(`embed.${key}Any`), v)));
  };

  function customSize() {
    const s = parseSize(`${$('#eb-w').value}x${$('#eb-h').value}`);
    for (const id of ['#eb-w', '#eb-h']) $(id).toggleAttribute('aria-invalid', !s);
    return s;
  }

  function applicable() { return partsOf(draft.stage); }

  function link() { return embedLink(location.href, draft, applicable()); }

  function renderParts() {
    const box = $('#eb-parts');
    const have = applicable();
    box.replaceChildren(box.querySelector('legend'), ...have.map((id) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.dataset.part = id;
      input.checked = !draft.hide.includes(id);
      input.addEventListener('change', () => {
        const hide = new Set(draft.hide);
        if (input.checked) hide.delete(id); else hide.add(id);
        update({ hide: PARTS.map((p) => p.id).filter((p) => hide.has(p)) });
      });
      label.append(input, ' ', t(PARTS.find((p) => p.id === id).label));
      return label;
    }));
  }

  /** Shows the draft: preview frame (its hash only changes: no reload), code, caption. */
  function render() {
    const url = link();
    if (frame.src !== url) frame.src = url;
    frame.width = String(size.width);
    frame.height = String(size.height);
    const box = $('#eb-frame-box');
    const k = Math.min(box.clientWidth / size.width, 1);
    // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
    frame.style.transform = `scale(${k})`;
    box.style.height = `${Math.ceil(size.height * k)}px`;
    caption(k);
    code.value = iframeCode(url, size, t('embed.frameTitle', { section: t(`opt.stage.${draft.stage}`) }));
    code.dataset.link = url;
    $('#eb-scale-out').value = draft.scale.toFixed(2);
  }

  /** The preview's size, and how much the embed had to shrink its text to fit (embed-fit.js). */
  function caption(k = Math.min($('#eb-frame-box').clientWidth / size.width, 1)) {
    const fit = Number(frame.contentDocument?.documentElement?.dataset.fit ?? 1);
    const el = $('#eb-caption');
    el.dataset.fit = String(fit);
    el.textContent = t('embed.previewAt', { w: size.width, h: size.height, pct: Math.round(k * 100) })
      + (fit < 1 ? ` ${t('embed.shrunk', { pct: Math.round(fit * 100) })}` : '');
  }

  // The preview is on this origin: watch its fit factor to tell the teacher.
  frame.addEventListener('load', () => {
    const root = frame.contentDocument?.documentElement;
    if (root) new MutationObserver(() => caption()).observe(root, { attributes: true, attributeFilter: ['data-fit'] });
  });

  function update(patch) {
    draft = { ...draft, ...patch };
    if ('stage' in patch) renderParts();
    render();
  }

  async function copy(text, what) {
    const msg = $('#eb-msg');
    try {
      await navigator.clipboard.writeText(text);
      msg.textContent = t(what === 'code' ? 'embed.copiedCode' : 'embed.copiedLink');
      msg.dataset.copied = what;
    } catch {
      // No clipboard (permission, an insecure origin): the text box holds it, selected.
      code.value = text;
      code.focus();
      code.select();
      msg.textContent = t('embed.copyManually');
      msg.dataset.copied = 'manual';
    }
  }

  function open(stage = lastSection ?? ctx.store.get().stage) {
    const s = ctx.store.get();
    draft = { ...s, embed: true, stage: STAGES.includes(stage) ? stage : '1', lang: s.lang || lang() };
    fill($('#eb-stage'), 'stage', STAGES);
    fill($('#eb-lang'), 'lang', SETTING.lang.values);
    fill($('#eb-theme'), 'theme', SETTING.theme.values);
    $('#eb-stage').value = draft.stage;
    $('#eb-lang').value = draft.lang;
    $('#eb-theme').value = draft.theme;
    $('#eb-scale').value = String(draft.scale);
    $('#eb-msg').textContent = '';
    delete $('#eb-msg').dataset.copied;
    renderParts();
    dialog.showModal();
    render();
  }

  // The stage the teacher is on: the last section clicked or focused in, else the
  // link's `stage` (the top bar's button is far from the stages, so where the page is
  // scrolled to would not tell). Each section also has its own button.
  let lastSection = null;
  const track = (e) => {
    const sec = e.target.closest?.('section.stage');
    if (sec && STAGES.includes(sec.dataset.view)) lastSection = sec.dataset.view;
  };
  document.addEventListener('pointerdown', track);
  document.addEventListener('focusin', track);
  for (const stage of STAGES) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'embed-this';
    b.dataset.stage = stage;
    b.setAttribute('aria-haspopup', 'dialog');
    b.addEventListener('click', () => open(stage));
    document.querySelector(`section[data-view="${stage}"] h2`).before(b);
  }
  $('#open-embed').addEventListener('click', () => open());
  for (const key of ['stage', 'lang', 'theme']) $(`#eb-${key}`).addEventListener('change', (e) => update({ [key]: e.target.value }));
  $('#eb-scale').addEventListener('input', (e) => {
    const r = validate('scale', e.target.value);
    if (r.ok) update({ scale: r.value });
  });
  dialog.querySelectorAll('input[name="eb-size"]').forEach((radio) => radio.addEventListener('change', () => {
    const custom = radio.value === 'custom';
    $('.eb-custom').classList.toggle('active', custom);
    size = (custom ? customSize() : parseSize(radio.value)) ?? size;
    if (!custom) { $('#eb-w').value = String(size.width); $('#eb-h').value = String(size.height); }
    render();
  }));
  for (const id of ['#eb-w', '#eb-h']) {
    $(id).addEventListener('input', () => {
      dialog.querySelector('input[name="eb-size"][value="custom"]').checked = true;
      const s = customSize();
      if (s) { size = s; render(); }
    });
  }
  $('#eb-copy-code').addEventListener('click', () => copy(code.value, 'code'));
  $('#eb-copy-link').addEventListener('click', () => copy(code.dataset.link, 'link'));
  // The preview engine is not needed once the dialog is closed.
  dialog.addEventListener('close', () => { frame.src = 'about:blank'; });
  addEventListener('resize', () => { if (dialog.open) render(); });
  return {
    render() {
      document.querySelectorAll('.embed-this').forEach((b) => { b.textContent = t('embed.this'); b.title = t('embed.thisTitle'); });
    },
  };
}
