// The learner's classes: a list of names, two to start with (as Teachable Machine),
// added, removed and renamed. An image's `label` is its class's index in this list, so
// removing a class removes its images and moves the later classes' labels down by one.
// A class without a name is shown (and exported) as "Class 1", "Class 2", ... in the
// page's language. The built-in task B keeps its own two classes (sandal, shirt).
import { pageError } from '../errors.js';
import { t } from '../i18n.js';

export const MIN_CLASSES = 2;
export const MAX_CLASSES = 20;
export const MAX_NAME = 40;
/**
 * Images in the learner's set, all classes together. Each keeps its source (up to 160
 * pixels a side, RGBA) beside the model input and preview, about 0.1 MB, in IndexedDB
 * and in memory: 1,000 is a large "own small set" and about 110 MB.
 */
export const MAX_IMAGES = 1000;

export const defaultClasses = () => [{ name: '' }, { name: '' }];

/** A saved list as this version keeps it (earlier versions saved {builtin: 'sandal'} entries). */
export function normalise(list) {
  const out = (Array.isArray(list) ? list : []).slice(0, MAX_CLASSES)
    .map((c) => ({ name: typeof c?.name === 'string' ? c.name.slice(0, MAX_NAME) : '' }));
  while (out.length < MIN_CLASSES) out.push({ name: '' });
  return out;
}

/** The names as shown: the learner's, or "Class n". */
export function classNames(classes) {
  return classes.map((c, i) => c.name.trim() || t('own.defaultName', { n: i + 1 }));
}

/** The class names of a scenario's data: the built-in task B's, or the learner's. */
export function namesFor(ctx, scenario) {
  return scenario === 'own' ? classNames(ctx.project.classes) : [t('class.sandal'), t('class.shirt')];
}

export function addClass(project) {
  if (project.classes.length >= MAX_CLASSES) throw pageError('TOO_MANY_CLASSES', { max: MAX_CLASSES });
  project.classes = [...project.classes, { name: '' }];
  return project.classes.length - 1;
}

export function renameClass(project, k, name) {
  project.classes = project.classes.map((c, i) => (i === k ? { name: String(name).slice(0, MAX_NAME) } : c));
}

/**
 * Removes class `k` and its images. Returns `{removed, moved}`: the ids of the images
 * removed, and the images whose label moved down (to be saved again).
 */
export function removeClass(project, k) {
  if (project.classes.length <= MIN_CLASSES) throw pageError('TOO_FEW_CLASSES', { min: MIN_CLASSES });
  const removed = project.images.filter((im) => im.label === k).map((im) => im.id);
  const moved = [];
  project.images = project.images.filter((im) => im.label !== k).map((im) => {
    if (im.label < k) return im;
    const m = { ...im, label: im.label - 1 };
    moved.push(m);
    return m;
  });
  project.classes = project.classes.filter((_, i) => i !== k);
  return { removed, moved };
}

/**
 * The class names of a trained model ('b' or 'scratch'; 'a' has none here): those of
 * the data it was trained on, under their current names (or, if the learner has since
 * added or removed classes, the names it was trained with). Null when not trained.
 */
export function modelClassNames(ctx, which) {
  const kinds = which === 'scratch' ? ['scratch'] : which === 'b' ? ['stage4', 'stage3'] : [];
  const rec = kinds.map((k) => ctx.results.get(k)).filter(Boolean).sort((x, y) => (x.at < y.at ? 1 : -1))[0];
  if (!rec) return null;
  if (rec.settings.scenario !== 'own') return namesFor(ctx, 'builtin');
  const was = rec.inputs.classes;
  return !was || was.length === ctx.project.classes.length ? classNames(ctx.project.classes) : was.map((c) => c.name);
}
