// The misclassified test images of one model, the most confident mistakes first: each
// as the model sees it, with the true class, the class it chose and the probability it
// gave that wrong answer (kept with the training result: the 12 most confident).
import { t } from '../i18n.js';
import { drawImage } from './maps.js';

export function galleryItems(confusion, names) {
  return confusion.misclassified.map((m) => {
    const fig = document.createElement('figure');
    fig.className = 'mistake';
    fig.dataset.index = String(m.index);
    fig.dataset.confidence = String(m.confidence);
    const c = document.createElement('canvas');
    c.className = 'pix';
    c.setAttribute('role', 'img');
    drawImage(c, { data: m.pixels, shape: confusion.shape }, 255);
    const text = t('lesson.errors.item', { index: m.index, truth: names[m.label], said: names[m.predicted], p: m.confidence.toFixed(3) });
    c.setAttribute('aria-label', text);
    const cap = document.createElement('figcaption');
    cap.textContent = text;
    fig.append(c, cap);
    return fig;
  });
}
