// An embed shows one section, but its run may first train the stages before it
// (stage 4 needs stage 3; the comparison and predict, in an embed, the whole transfer
// run). Their
// progress would be invisible: this line in the embed's status bar says which stage is
// training first and how far it is, and the shown section's run buttons wait for it.
import { t } from './i18n.js';

// B from scratch trains first for the errors view (its matrix is one of three).
const SECTION = { stage3: '3', stage4: '4', scratch: 'compare' };

export function mountUpstream(ctx) {
  const line = document.createElement('span');
  line.id = 'embed-upstream';
  line.className = 'upstream';
  line.dataset.control = 'progress';
  line.setAttribute('role', 'status');
  line.hidden = true;
  document.querySelector('#status').before(line);
  const at = {}; // job -> {epoch, epochs}

  ctx.engine.onProgress((job, ev) => {
    if (!(job in SECTION)) return;
    if (ev.type === 'start') at[job] = { epoch: 0, epochs: ev.epochs };
    else if (ev.type === 'epoch' && at[job]) at[job].epoch = ev.epoch + 1;
    else return;
    render();
  });

  function render() {
    const s = ctx.store.get();
    const elsewhere = s.embed ? [...ctx.running].filter((job) => job in SECTION && SECTION[job] !== s.stage) : [];
    const job = elsewhere[0];
    line.hidden = !job;
    line.dataset.job = job ?? '';
    const said = job === 'scratch' ? 'lesson.upstream.scratch' : 'embed.upstream';
    line.textContent = job ? t(said, { stage: SECTION[job], ...(at[job] ?? { epoch: 0, epochs: '?' }) }) : '';
    // One run at a time: the shown section's run buttons wait (and are given back after).
    for (const b of document.querySelectorAll('[data-upstream-wait]')) { b.disabled = false; delete b.dataset.upstreamWait; }
    if (!job) return;
    document.querySelector(`section[data-view="${s.stage}"]`)?.querySelectorAll('button.run, #pred-run').forEach((b) => {
      if (!b.disabled) { b.disabled = true; b.dataset.upstreamWait = ''; }
    });
  }
  return { render };
}
