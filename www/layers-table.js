// A model's layers as a table (Keras' summary): name, class, output shape, params,
// and a frozen/trainable marker. `notes` adds a per-row remark (shared, new, ...).
import { t } from './i18n.js';

const shape = (s) => `(None, ${s.join(', ')})`;

/**
 * A table of class `className` with an optional caption and one header row of column
 * labels (`scope="col"`); returns it and its (empty) body.
 */
export function textTable(className, labels, caption = '') {
  const table = document.createElement('table');
  table.className = className;
  if (caption) table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const text of labels) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    head.appendChild(th);
  }
  return { table, body: table.createTBody() };
}

/** Appends a row of text cells to `body`; returns the row (for its data-* hooks). */
export function textRow(body, cells) {
  const tr = body.insertRow();
  for (const text of cells) tr.insertCell().textContent = text;
  return tr;
}

export function layersTable(rows, { notes = [], caption = '' } = {}) {
  const { table, body } = textTable('layers', ['col.layer', 'col.shape', 'col.params', 'col.state', 'col.note'].map((k) => t(k)), caption);
  rows.forEach((r, i) => {
    const state = r.params === 0 ? '' : r.trainable ? t('trainable') : `■ ${t('frozen')}`;
    const tr = textRow(body, [`${r.name} (${r.className})`, shape(r.outputShape), r.params.toLocaleString('en-US'), state, notes[i] || '']);
    tr.dataset.trainable = String(r.trainable);
    tr.dataset.layerId = String(r.id);
    if (!r.trainable && r.params > 0) tr.classList.add('frozen');
  });
  const total = rows.reduce((s, r) => s + r.params, 0);
  const trainable = rows.filter((r) => r.trainable).reduce((s, r) => s + r.params, 0);
  const foot = table.createTFoot().insertRow();
  const c = foot.insertCell();
  c.colSpan = 5;
  c.textContent = t('paramsLine', { total: total.toLocaleString('en-US'), trainable: trainable.toLocaleString('en-US'), frozen: (total - trainable).toLocaleString('en-US') });
  return table;
}
