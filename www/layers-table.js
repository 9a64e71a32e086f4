// A model's layers as a table (Keras' summary): name, class, output shape, params,
// and a frozen/trainable marker. `notes` adds a per-row remark (shared, new, ...).
import { t } from './i18n.js';

const shape = (s) => `(None, ${s.join(', ')})`;

export function layersTable(rows, { notes = [], caption = '' } = {}) {
  const table = document.createElement('table');
  table.className = 'layers';
  if (caption) table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const k of ['col.layer', 'col.shape', 'col.params', 'col.state', 'col.note']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = t(k);
    head.appendChild(th);
  }
  const body = table.createTBody();
  rows.forEach((r, i) => {
    const tr = body.insertRow();
    tr.dataset.trainable = String(r.trainable);
    tr.dataset.layerId = String(r.id);
    const state = r.params === 0 ? '' : r.trainable ? t('trainable') : `■ ${t('frozen')}`;
    for (const text of [`${r.name} (${r.className})`, shape(r.outputShape), r.params.toLocaleString('en-US'), state, notes[i] || '']) {
      tr.insertCell().textContent = text;
    }
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
