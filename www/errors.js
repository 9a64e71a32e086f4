// Errors as values `{code, params, message}` (Contract 1), on both sides of the worker.
// The engine's errors carry `code` and `params`; an older engine's carry only an
// English message, which becomes code ENGINE with the message as `params.detail`. The
// page raises its own codes (listed in protocol.js) with `pageError`. Nothing here
// matches on message text: the page translates from the code.

/** An Error with a page-level code, e.g. `pageError('NOT_TRAINED', {which: 'b'})`. */
export function pageError(code, params = {}, message = code) {
  const e = new Error(message);
  e.name = 'PageError';
  e.code = code;
  e.params = params;
  return e;
}

/** Whether an error means the WebAssembly instance must not be used again. */
export function isFatal(err) {
  if (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError) return true;
  return err?.code === 'PANICKED' || err?.code === 'TRAPPED' || err?.name === 'RuntimeError';
}

/** Any thrown thing as a plain, cloneable `{code, params, message}`. */
export function toErrorValue(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(err.code)) {
    return { code: err.code, params: plainParams(err.params), message: String(err.message ?? err.code) };
  }
  const message = String(err?.message ?? err);
  if (isFatal(err)) return { code: 'TRAPPED', params: { detail: message }, message };
  return { code: 'ENGINE', params: { detail: message }, message };
}

/** A received `{code, params, message}` back into an Error (for promise rejections). */
export function fromErrorValue(v) {
  return pageError(v.code, v.params || {}, v.message || v.code);
}

function plainParams(p) {
  const out = {};
  if (p && typeof p === 'object') {
    for (const [k, v] of Object.entries(p)) if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}
