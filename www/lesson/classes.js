// A class's name in the learner's words: the built-in sandal / shirt (translated) or the
// learner's own names, for the scenario a result was trained on.

export function classNameOf(ctx, i, scenario = ctx.store.get().scenario) {
  return ctx.classNames ? ctx.classNames(scenario)[i] : ctx.className(i);
}
