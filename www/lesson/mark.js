// The out-of-date mark of a view built from several results (the errors view shows
// stages 3, 4 and from scratch; the movement view stages 3 and 4): the section's
// `data-state` ('none' | 'fresh' | 'stale' | 'running') and one note listing, per result,
// what changed since it ran (freshness.js words each reason).
import { t } from '../i18n.js';
import { freshness, reasonText } from '../freshness.js';

export function markSection(ctx, section, note, kinds) {
  const all = kinds.map((k) => ({ k, ...freshness(ctx, k) })).filter((f) => f.record);
  const running = kinds.some((k) => ctx.running.has(k));
  const stale = all.filter((f) => f.reasons.length);
  section.dataset.state = running ? 'running' : !all.length ? 'none' : stale.length ? 'stale' : 'fresh';
  note.hidden = running || !stale.length;
  note.dataset.reasons = stale.map((f) => f.k).join(',');
  note.textContent = stale.length
    ? t('lesson.staleNote', { reasons: stale.map((f) => `${t(`lesson.kind.${f.k}`)}: ${f.reasons.map(reasonText).join('; ')}`).join(' · ') })
    : '';
}
