// Whether a result is current, and the visible mark when it is not: the section gets
// `data-state` ('none' | 'fresh' | 'stale' | 'running'; CSS draws the ✓ only for
// 'fresh' and dims a stale result's figures), and its note says what changed since
// the run ("Training images 200 → 20").
import { SETTING, format } from './state.js';
import { staleness } from './results.js';
import { t } from './i18n.js';

/** A setting's value as a learner reads it (enums by their translated name). */
export function valueText(key, v) {
  return SETTING[key].type === 'enum' ? t(`opt.${key}.${v}`) : format(key, v);
}

/** The learner's classes with their image counts: "cat 12, dog 11". */
export function classesText(list) {
  return list.map((c) => `${c.name} ${c.train + c.valid}`).join(', ');
}

export function reasonText(r) {
  if (r.type === 'setting') return t('stale.setting', { label: t(SETTING[r.key].label), was: valueText(r.key, r.was), now: valueText(r.key, r.now) });
  if (r.type === 'data' && r.was) return t('own.staleData', { was: classesText(r.was), now: classesText(r.now) });
  if (r.type === 'head') return t('own.staleHead');
  if (r.type === 'upstream') return t(`stale.upstream.${r.kind}`);
  return t(`stale.${r.type}`);
}

/** `{record, reasons, fresh}` for a result kind now. */
export function freshness(ctx, kind) {
  const record = ctx.results.get(kind);
  const reasons = record ? staleness(record, ctx.now()) : [];
  return { record, reasons, fresh: !!record && reasons.length === 0 };
}

/** Marks `section` and fills its `[data-stale-for=kind]` note. */
export function renderFreshness(ctx, section, kind, { running = false } = {}) {
  const { record, reasons } = freshness(ctx, kind);
  section.dataset.state = running ? 'running' : !record ? 'none' : reasons.length ? 'stale' : 'fresh';
  section.dataset.resultId = record?.id ?? '';
  const note = section.querySelector(`[data-stale-for="${kind}"]`);
  if (!note) return;
  // For tests and tools: what changed, as `setting:n,upstream:stage3,model,data`.
  note.dataset.reasons = reasons.map((r) => (r.type === 'setting' ? `setting:${r.key}` : r.type === 'upstream' ? `upstream:${r.kind}` : r.type)).join(',');
  note.hidden = running || !reasons.length;
  note.textContent = reasons.length ? t('stale.note', { reasons: reasons.map(reasonText).join('; ') }) : '';
}
