// Stage 1: model A (built-in or the learner's, chosen with the radio buttons), its
// summary, and clone_model + set_weights.
import { t } from '../i18n.js';
import { layersTable } from '../layers-table.js';
import { computedOn } from '../backend.js';
import { pageError } from '../errors.js';
import { renderFreshness } from '../freshness.js';
import { saveMeta } from '../project.js';

/** The picked files as a load command: a Keras file, or TF.js model.json + shards. */
async function readModelFiles(files) {
  const keras = files.find((f) => /\.(h5|hdf5|keras)$/i.test(f.name));
  if (keras) return ['loadKeras', { bytes: new Uint8Array(await keras.arrayBuffer()) }];
  const jsonFile = files.find((f) => /\.json$/i.test(f.name));
  if (!jsonFile) throw pageError('NEED_MODEL_JSON');
  const json = await jsonFile.text();
  // Shards in the order the manifest lists them.
  let paths;
  try { paths = (JSON.parse(json).weightsManifest || []).flatMap((g) => g.paths || []); } catch { paths = []; }
  const parts = [];
  for (const p of paths) {
    const f = files.find((x) => x.name === p.split('/').pop());
    if (!f) throw pageError('MISSING_SHARD', { name: p });
    parts.push(new Uint8Array(await f.arrayBuffer()));
  }
  const weights = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { weights.set(p, at); at += p.length; }
  return ['loadTfjs', { json, weights }];
}

export function mountStage1(ctx, flow) {
  const $ = (s) => document.querySelector(s);
  const section = $('#stage-1');

  /** Model A changed (a file, a radio): models trained from the old A are dropped. */
  async function adoptA(r, source) {
    ctx.a = r.a;
    ctx.have = {};
    ctx.modelBytes = {};
    for (const k of ['b', 'snap3', 'scratch']) ctx.persist.deleteModel(k);
    ctx.project.aSource = source;
    if (source === 'own') {
      ctx.project.aName = r.a.name;
      ctx.project.ownA = (await ctx.engine.call('modelBytes', { which: 'a' })).bytes;
      await ctx.persist.putModel('a', { bytes: ctx.project.ownA });
    }
    await saveMeta(ctx);
    ctx.render();
  }

  $('#model-files').addEventListener('change', (e) => ctx.guard(async () => {
    const files = [...e.target.files];
    e.target.value = '';
    const [cmd, args] = await readModelFiles(files);
    const r = await ctx.engine.call(cmd, args, args.weights ? [args.weights.buffer] : []);
    await adoptA(r, 'own');
    ctx.say({ key: 's1.loaded', params: { name: r.a.name } });
  }));

  section.querySelectorAll('input[name="source"]').forEach((radio) => radio.addEventListener('change', () => ctx.guard(async () => {
    if (radio.value === ctx.project.aSource) return;
    const r = radio.value === 'own'
      ? await ctx.engine.call('loadKeras', { bytes: ctx.project.ownA })
      : await ctx.engine.call('useBuiltinA');
    await adoptA(r, radio.value);
    ctx.say({ key: 's1.switched', params: { name: r.a.name } });
  })));

  $('#run-1').addEventListener('click', () => ctx.guard(() => flow.run('stage1')));

  function renderA() {
    const a = ctx.a;
    const p = ctx.project;
    section.querySelector('input[value="builtin"]').checked = p.aSource === 'builtin';
    const own = section.querySelector('input[value="own"]');
    own.disabled = !p.ownA;
    own.checked = p.aSource === 'own';
    $('#own-a-name').textContent = p.aName ? `"${p.aName}"` : '';
    if (!a) return;
    $('#a-summary').replaceChildren(layersTable(a.rows, { caption: t('s1.caption', { name: a.name }) }));
    const info = [t('s1.input', { shape: a.inputShape.join('×') })];
    const acc = a.meta?.test?.accuracy;
    if (acc !== undefined) info.push(t('s1.acc', { acc: acc.toFixed(4), n: a.meta.test.images }));
    if (a.classNames) info.push(t('s1.classes', { list: a.classNames.join(', ') }));
    if (a.taskAccuracy !== null && a.taskAccuracy !== undefined) info.push(`${t('s1.accNow', { acc: a.taskAccuracy.toFixed(4), n: a.taskImages })} (${computedOn(a.taskBackend)})`);
    info.push(t('s1.fp', { fp: a.fingerprint }));
    const el = $('#a-info');
    el.textContent = info.join(' · ');
    el.dataset.fingerprint = a.fingerprint;
    el.dataset.source = a.source;
    el.dataset.inputShape = a.inputShape.join('x');
    el.dataset.taskBackend = a.taskBackend ?? '';
    el.dataset.taskAccuracy = a.taskAccuracy ?? '';
    el.dataset.metaAccuracy = acc ?? '';
    el.dataset.classNames = a.classNames ? JSON.stringify(a.classNames) : '';
  }

  function renderResult() {
    renderFreshness(ctx, section, 'stage1');
    const el = $('#result-1');
    const rec = ctx.results.get('stage1');
    if (!rec) { el.replaceChildren(); return; }
    const r = rec.value;
    const distinct = r.aIds.every((id) => !r.cloneIds.includes(id));
    const dl = document.createElement('dl');
    for (const [k, v, id, raw] of [
      [t('s1.distinct'), distinct ? t('yes') : t('no'), 'clone-distinct', String(distinct)],
      [t('s1.freshFp'), r.freshFingerprint, 'fp-fresh'],
      [t('s1.cloneFp'), r.cloneFingerprint, 'fp-clone'],
      [t('s1.aFp'), r.aFingerprint, 'fp-a-before'],
    ]) {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v; dd.id = id; dd.className = 'mono';
      dd.dataset.value = raw ?? v;
      dl.append(dt, dd);
    }
    const p = document.createElement('p');
    p.textContent = r.cloneFingerprint === r.aFingerprint ? t('s1.same') : t('s1.differ');
    el.replaceChildren(dl, p);
  }

  return { render() { renderA(); renderResult(); } };
}
