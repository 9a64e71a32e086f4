// Stage 1: model A (built-in or the learner's), its summary, and clone + set_weights.
import { t, errorText } from '../i18n.js';
import { layersTable } from '../layers-table.js';
import { computedOn } from '../backend.js';

export function mountStage1(ctx) {
  const $ = (s) => document.querySelector(s);

  function showA(a) {
    ctx.a = a;
    $('#a-summary').replaceChildren(layersTable(a.rows, { caption: t('s1.caption', { name: a.name }) }));
    const acc = a.meta?.test?.accuracy;
    const info = [t('s1.input', { shape: a.inputShape.join('×') })];
    if (acc !== undefined) info.push(t('s1.acc', { acc: acc.toFixed(4), n: a.meta.test.images }));
    if (a.taskAccuracy !== null && a.taskAccuracy !== undefined) info.push(`${t('s1.accNow', { acc: a.taskAccuracy.toFixed(4), n: a.taskImages })} (${computedOn(a.taskBackend)})`);
    info.push(t('s1.fp', { fp: a.fingerprint }));
    $('#a-info').textContent = info.join(' · ');
    $('#a-info').dataset.fingerprint = a.fingerprint;
    $('#a-info').dataset.taskBackend = a.taskBackend ?? '';
  }

  // The learner's own model A: a Keras file (.h5 or .keras, as `model.save` writes it)
  // or a TF.js model (model.json + .bin shards).
  $('#model-files').addEventListener('change', async (e) => {
    const files = [...e.target.files];
    try {
      const keras = files.find((f) => /\.(h5|hdf5|keras)$/i.test(f.name));
      let r;
      if (keras) {
        r = await ctx.engine.call('loadKeras', { bytes: new Uint8Array(await keras.arrayBuffer()) });
      } else {
        const jsonFile = files.find((f) => /\.json$/i.test(f.name));
        if (!jsonFile) throw new Error('NEED_MODEL_JSON');
        const json = await jsonFile.text();
        // Shards in the order the manifest lists them.
        const paths = (JSON.parse(json).weightsManifest || []).flatMap((g) => g.paths || []);
        const parts = [];
        for (const p of paths) {
          const f = files.find((x) => x.name === p.split('/').pop());
          if (!f) throw new Error(t('err.missingShard', { name: p }));
          parts.push(new Uint8Array(await f.arrayBuffer()));
        }
        const weights = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
        let at = 0;
        for (const p of parts) { weights.set(p, at); at += p.length; }
        r = await ctx.engine.call('loadTfjs', { json, weights }, [weights.buffer]);
      }
      showA(r.a);
      ctx.resetFrom(1);
      ctx.say(t('s1.loaded', { name: r.a.name }));
    } catch (err) {
      ctx.say(errorText(err));
    }
  });

  async function run() {
    const r = await ctx.engine.call('stage1');
    const distinct = r.aIds.every((id) => !r.cloneIds.includes(id));
    const el = $('#result-1');
    el.innerHTML = '';
    const lines = [
      [t('s1.distinct'), distinct ? t('yes') : t('no'), 'clone-distinct'],
      [t('s1.freshFp'), r.freshFingerprint, 'fp-fresh'],
      [t('s1.cloneFp'), r.cloneFingerprint, 'fp-clone'],
      [t('s1.aFp'), r.aFingerprint, 'fp-a-before'],
    ];
    const dl = document.createElement('dl');
    for (const [k, v, id] of lines) {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v; dd.id = id; dd.className = 'mono';
      dl.append(dt, dd);
    }
    el.append(dl);
    const p = document.createElement('p');
    p.textContent = r.cloneFingerprint === r.aFingerprint ? t('s1.same') : t('s1.differ');
    el.append(p);
    ctx.markDone(1);
  }
  $('#run-1').addEventListener('click', () => ctx.guard(run));
  return { showA, run };
}
