// The one State object of the page, observable: `set` merges a patch, writes the URL
// hash (so the address bar is always a link to what is shown) and tells listeners.
// Only values the table in state.js accepted reach it: inputs and links validate first.
import { toHash } from './state.js';

export function createStore(initial, { writeHash = true } = {}) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const changed = Object.keys(patch).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(patch[k]));
      if (!changed.length) return;
      state = { ...state, ...patch };
      if (writeHash) {
        const hash = toHash(state);
        if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
      }
      const diff = Object.fromEntries(changed.map((k) => [k, state[k]]));
      listeners.forEach((f) => f(state, diff));
    },
    subscribe(f) { listeners.add(f); return () => listeners.delete(f); },
  };
}
