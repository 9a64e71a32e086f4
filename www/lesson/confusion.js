// One confusion matrix as a table: rows the true class, columns the predicted class (as
// scikit-learn), by class name, each cell shaded by its share of its row (the diagonal
// in the "right" colour, the rest in the "wrong" one). Its counts are the engine's
// (`confusionMatrix` on `predictAsync`'s probabilities), so the trace over the sum is
// the test accuracy the stage shows.
import { t } from '../i18n.js';

/** `<figure>` for `confusion` ({counts, examples, correct, accuracy}) titled `title`. */
export function matrixFigure(confusion, names, title) {
  const { counts, examples, correct } = confusion;
  const fig = document.createElement('figure');
  fig.className = 'matrix';
  fig.dataset.sum = String(counts.flat().reduce((a, b) => a + b, 0));
  fig.dataset.correct = String(correct);
  fig.dataset.examples = String(examples);
  fig.dataset.accuracy = String(confusion.accuracy);
  const cap = document.createElement('figcaption');
  cap.textContent = `${title} · ${t('lesson.errors.acc', { acc: confusion.accuracy.toFixed(4), correct, n: examples })}`;
  const table = document.createElement('table');
  const top = document.createElement('tr');
  const corner = document.createElement('th');
  corner.textContent = t('lesson.errors.corner');
  corner.className = 'corner';
  top.append(corner);
  for (const name of names) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = name;
    top.append(th);
  }
  const thead = document.createElement('thead');
  thead.append(top);
  const body = document.createElement('tbody');
  counts.forEach((row, i) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = names[i];
    tr.append(th);
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const td = document.createElement('td');
      td.textContent = String(v);
      td.dataset.cell = `${i},${j}`;
      td.className = i === j ? 'right' : 'wrong';
      // CSSOM (allowed by the page's style-src 'self'): the share of its row.
      td.style.setProperty('--share', String(v / total));
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(thead, body);
  fig.append(cap, table);
  return fig;
}
