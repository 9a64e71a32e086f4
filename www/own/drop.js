// Files dropped anywhere on the page and images pasted (Ctrl+V) go to the learner's
// classes: onto a class card, to that class; anywhere else, to the selected class (the
// overlay says which while dragging). A drop never navigates away from the page: the
// browser's default (opening the file in the tab, losing the work) is always
// prevented, except where text is dropped into a text field.
import { t } from '../i18n.js';

const editable = (el) => el?.closest?.('input[type="text"], input:not([type]), textarea, [contenteditable="true"]');
const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');

/**
 * `target()` is the selected class, `name(k)` its shown name, `add(k, files, how)` takes
 * the files (`how`: 'drop' onto a card, 'dropSelected' elsewhere, 'paste').
 */
export function mountDrop({ overlay, target, name, add }) {
  let hideTimer = null;
  const classAt = (el) => {
    const card = el?.closest?.('[data-class]');
    return card ? Number(card.dataset.class) : null;
  };

  function show(k, onCard) {
    overlay.hidden = false;
    overlay.dataset.target = String(k);
    overlay.classList.toggle('on-card', onCard);
    overlay.querySelector('p').textContent = onCard ? t('own.dropOn', { name: name(k) }) : t('own.dropAnywhere', { name: name(k) });
    document.querySelectorAll('.class-card.over').forEach((c) => c.classList.remove('over'));
    if (onCard) document.querySelector(`.class-card[data-class="${k}"]`)?.classList.add('over');
    clearTimeout(hideTimer);
    // dragleave fires for every child crossed; hide once dragover has stopped instead.
    hideTimer = setTimeout(hide, 200);
  }

  function hide() {
    overlay.hidden = true;
    document.querySelectorAll('.class-card.over').forEach((c) => c.classList.remove('over'));
  }

  window.addEventListener('dragover', (e) => {
    if (editable(e.target) && !hasFiles(e)) return; // text into a text field: the browser's
    e.preventDefault();
    if (!hasFiles(e)) { e.dataTransfer.dropEffect = 'none'; return; }
    e.dataTransfer.dropEffect = 'copy';
    const k = classAt(e.target);
    show(k ?? target(), k !== null);
  });

  window.addEventListener('drop', (e) => {
    if (editable(e.target) && !hasFiles(e)) return;
    e.preventDefault(); // never open the dropped file in this tab
    hide();
    const files = [...(e.dataTransfer?.files || [])];
    if (!files.length) return;
    const k = classAt(e.target);
    add(k ?? target(), files, k === null ? 'dropSelected' : 'drop');
  });

  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return; // text pasted into a field stays the browser's
    e.preventDefault();
    add(target(), files, 'paste');
  });
}
