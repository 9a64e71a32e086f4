// The engine's answers the lesson's views need while they render (test accuracies with
// their uncertainty: the worker's `accuracies` command, src/evaluation/uncertainty.rs):
// asked once per question and kept, so a view renders what is known now and renders
// again when the answer arrives. One instance per page (ctx.numbers).

export function createNumbers(ctx) {
  const cache = new Map(); // question -> {value} | 'pending' | 'failed'

  return {
    /**
     * For pairs `[{a: {correct, n}, b: {correct, n}}]`: `[{a, b, difference}]` (the
     * engine's estimates and comparison), or null until the engine has answered.
     */
    accuracies(pairs) {
      if (!ctx.counts) return null; // the engine is not up yet: asked on a later render
      const key = JSON.stringify(pairs);
      const hit = cache.get(key);
      if (hit?.value) return hit.value;
      if (!hit) {
        cache.set(key, 'pending');
        ctx.engine.call('accuracies', { pairs }).then(
          (value) => { cache.set(key, { value }); ctx.render(); },
          // A replaced engine: ask again on the next render; anything else is not retried.
          (err) => { if (err.code === 'ENGINE_REPLACED') cache.delete(key); else cache.set(key, 'failed'); },
        );
      }
      return null;
    },
  };
}
