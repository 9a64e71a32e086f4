// Downloads: model A, B (after transfer) or B from scratch in the formats real tools
// load — Keras 3 `.keras`, legacy Keras `.h5` (keras.models.load_model reads both) and
// the TF.js layers format (tf.loadLayersModel). The worker writes the bytes; this
// module only turns them into files. Buttons: <button data-download="b" data-format="keras">.
import { modelClassNames } from './own/classes.js';

/** Saves a Blob as a file the browser downloads. */
export function saveFile(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export function mountDownloads(ctx) {
  document.addEventListener('click', (e) => {
    const btn = e.target.closest('button[data-download]');
    if (!btn) return;
    ctx.guard(async () => {
      const which = btn.dataset.download;
      // The learner's class names travel with B (TF.js: metadata.json; .keras: its metadata).
      const classNames = modelClassNames(ctx, which) ?? undefined;
      const r = await ctx.engine.call('exportModel', { which, format: btn.dataset.format, classNames });
      for (const f of r.files) {
        saveFile(f.name, new Blob([f.bytes ?? f.text], { type: f.bytes ? 'application/octet-stream' : 'application/json' }));
      }
      ctx.say({ key: 'dl.done', params: { files: r.files.map((f) => f.name).join(', ') } });
    });
  });
}
