// A model's answer as a small bar chart: one row per class, named in the learner's
// words, with its probability as a <meter> (read out by screen readers) and a number;
// the most probable class is marked.

/** `{title, names, probs, model}` -> a <figure class="bars">. */
export function probBars({ title, names, probs, model }) {
  const top = probs.indexOf(Math.max(...probs));
  const fig = document.createElement('figure');
  fig.className = 'bars';
  fig.dataset.model = model;
  fig.dataset.top = names[top] ?? String(top);
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap);
  probs.forEach((p, i) => {
    const row = document.createElement('div');
    row.className = i === top ? 'bar-row top' : 'bar-row';
    row.dataset.class = String(i);
    row.dataset.p = String(p);
    const name = document.createElement('span');
    name.className = 'bar-name';
    name.textContent = names[i] ?? `#${i + 1}`;
    const meter = document.createElement('meter');
    meter.min = 0; meter.max = 1; meter.value = p;
    meter.setAttribute('aria-label', name.textContent);
    const val = document.createElement('span');
    val.className = 'bar-val mono';
    val.textContent = `${(100 * p).toFixed(1)}%`;
    row.append(name, meter, val);
    fig.append(row);
  });
  return fig;
}
