// Errors as values `{code, params, message}` (Contract 1), on both sides of the worker.
// The engine's errors carry `code` and `params`; an older engine's carry only an
// English message, which becomes code ENGINE with the message as `params.detail`. The
// page raises its own codes (listed in protocol.js) with `pageError`. The page
// translates from the code; the one message recognised by its text is not the engine's
// (see `freedHandle`).

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

// A method called on a handle whose `.free()` ran is refused by wasm-bindgen's runtime
// with this message before any engine code runs, so the engine cannot give it a code
// (www/API.md, "Freeing"); it is recognised here, in one place, and becomes FREED.
const FREED_BY_GLUE = 'null pointer passed to rust';

/** `{code: 'FREED', ...}` for wasm-bindgen's freed-handle error, else `null`. */
export function freedHandle(err) {
  const message = String(err?.message ?? err);
  if (err?.code || message !== FREED_BY_GLUE) return null;
  const detail = 'this model, layer or fit run was freed (.free() was called on it); use a live handle';
  return { code: 'FREED', params: { what: 'handle', detail }, message: detail };
}

/** Any thrown thing as a plain, cloneable `{code, params, message}`. */
export function toErrorValue(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(err.code)) {
    return { code: err.code, params: plainParams(err.params), message: String(err.message ?? err.code) };
  }
  const freed = freedHandle(err);
  if (freed) return freed;
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
