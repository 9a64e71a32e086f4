// "Trained on ...": beside each training result on the learner's images (stages 3 and
// 4, from scratch, the comparison), the data it was trained on: their classes with the
// image counts as they were at the run (`inputs.classes` of the record, results.js),
// named as the classes are called now.
import { t } from '../i18n.js';
import { namesFor } from './classes.js';

function line(ctx, rec) {
  // The lecture's own data needs no line (its stages say what it is).
  if (!rec || rec.settings.scenario !== 'own' || !rec.inputs.classes) return '';
  const now = namesFor(ctx, 'own');
  const list = rec.inputs.classes;
  // Current names where the classes still line up with the run's; else the run's own.
  const name = (c, i) => (list.length === now.length ? now[i] : c.name);
  return t('own.trainedOwn', {
    classes: list.map((c, i) => `${name(c, i)} ${c.train} + ${c.valid}`).join(', '),
    train: list.reduce((s, c) => s + c.train, 0), valid: list.reduce((s, c) => s + c.valid, 0),
  });
}

/** Fills every `[data-trained-on="stage3" | "stage4" | "scratch"]`. */
export function mountTrainedOn(ctx) {
  const els = [...document.querySelectorAll('[data-trained-on]')];
  return {
    render() {
      for (const el of els) {
        const rec = ctx.results.get(el.dataset.trainedOn);
        el.textContent = line(ctx, rec);
        el.hidden = !el.textContent;
      }
    },
  };
}
