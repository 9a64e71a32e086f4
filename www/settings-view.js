// The settings' inputs, built from the table in state.js: each `[data-field=key]`
// gets a label, an input (number: min/max/step from the table; select: its values)
// and a message beside it (aria-describedby). An input commits to the State only a
// value the table accepts; otherwise it keeps the learner's text, is marked invalid
// and says why, naming the setting by its label, until the value is fixed.
import { SETTING, validate, format, envFor } from './state.js';
import { t, lang } from './i18n.js';

/** A validation failure `{code, params}` of setting `key` as text now. */
export function invalidText(key, v) {
  return t(`valid.${v.code}`, { ...v.params, label: t(SETTING[key].label) });
}

export function mountSettings(ctx) {
  const fields = [...document.querySelectorAll('[data-field]')].map((root) => build(root));

  function env(state = ctx.store.get()) {
    return envFor(state.scenario, ctx.available());
  }

  function build(root) {
    const key = root.dataset.field;
    const s = SETTING[key];
    root.dataset.control = key;
    const label = document.createElement('label');
    label.htmlFor = key;
    const text = document.createElement('span');
    const input = document.createElement(s.type === 'enum' ? 'select' : 'input');
    input.id = key;
    input.dataset.setting = key;
    input.setAttribute('aria-describedby', `msg-${key}`);
    if (s.type === 'enum') {
      for (const v of s.values.filter(Boolean)) input.append(new Option(v, v));
    } else {
      input.type = 'number';
      input.min = String(s.min);
      if (typeof s.max === 'number') input.max = String(s.max);
      input.step = s.type === 'int' ? '1' : 'any';
      input.inputMode = s.type === 'int' ? 'numeric' : 'decimal';
    }
    const msg = document.createElement('span');
    msg.className = 'field-msg';
    msg.id = `msg-${key}`;
    msg.dataset.testid = `msg-${key}`;
    msg.setAttribute('aria-live', 'polite');
    label.append(text, ' ', input);
    root.append(label, msg);
    const field = { key, root, text, input, msg, error: null };
    // Live: a fixed value clears its message at once; a new problem is told on change.
    input.addEventListener('input', () => check(field, { tell: !!field.error }));
    input.addEventListener('change', () => check(field, { tell: true }));
    return field;
  }

  function check(field, { tell }) {
    const { key, input } = field;
    const r = validate(key, input.value, env());
    if (r.ok) {
      ctx.store.set({ [key]: r.value }); // first: the field then shows the State's value
      setError(field, null);
    } else if (tell) {
      setError(field, r);
    }
  }

  function setError(field, err) {
    field.error = err;
    if (err) ctx.invalid.set(field.key, err); else ctx.invalid.delete(field.key);
    if (err) field.input.setAttribute('aria-invalid', 'true');
    else field.input.removeAttribute('aria-invalid');
    field.root.dataset.state = err ? 'invalid' : 'ok';
    renderField(field);
  }

  function renderField(field) {
    const { key, text, input, msg } = field;
    const s = SETTING[key];
    const state = ctx.store.get();
    text.textContent = t(s.label);
    if (s.type === 'enum') {
      for (const o of input.options) o.textContent = t(`opt.${key}.${o.value}`);
    }
    if (typeof s.max === 'function') {
      const max = s.max(env(state));
      if (max) input.max = String(max); else input.removeAttribute('max');
    }
    // Never overwrite what the learner is typing, nor an invalid value they must fix.
    if (!field.error && document.activeElement !== input) {
      input.value = key === 'lang' ? lang() : format(key, state[key]);
    }
    msg.textContent = field.error ? invalidText(key, field.error) : '';
    msg.hidden = !field.error;
  }

  return {
    render() { fields.forEach(renderField); },
    /** A value the State holds changed from elsewhere (a link, an import): drop stale errors. */
    revalidate() {
      for (const f of fields) if (f.error && document.activeElement !== f.input) setError(f, null);
    },
  };
}
