//! How the tutorial's cells share one scope, as in a notebook.
//!
//! Each cell's code becomes the body of an async function (so top-level `await` works),
//! compiled inside `with (builtins) { with (scope) { ... } }`:
//! - a cell READS the variables of earlier cells through `scope` (a plain object kept in
//!   the worker for its whole life), and the helpers (`tp`, `print`, `show`, ...) through
//!   `builtins`; a cell that declares the same name again simply shadows it;
//! - the names a cell DECLARES at its top level (`const`, `let`, `var`, `function`,
//!   `class`, destructuring patterns included) are found by `declaredNames` below, and
//!   the first line of the compiled body registers a getter for each (`() => name`).
//!   When the cell ends, normally or with an error, every getter that can be read is
//!   copied into `scope`, so a later cell sees those variables, and a declaration that
//!   ran before an error is kept too (a getter still in its temporal dead zone throws
//!   and is skipped);
//! - assigning to an earlier cell's variable without declaring it (`model = ...`)
//!   writes through `with` into `scope`.
//! No JavaScript parser is vendored: `declaredNames` is a small tokenizer that knows
//! strings, template literals, comments and regular expressions well enough to see which
//! declarations sit at brace depth 0. A name it misses is not kept (the next cell says
//! "x is not defined"); a name it finds wrongly is harmless (its getter throws or
//! returns what the scope already had).
//!
//! `with` needs sloppy mode: the compiled function is sloppy (a cell may still start
//! with its own "use strict" inside a block). It runs in a worker, not in the page,
//! because the page's Content-Security-Policy forbids compiling code from strings; a
//! dedicated worker loaded from its own URL does not inherit that policy.

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case',
  'do', 'else', 'yield', 'await', 'extends',
]);

const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '**', '<<', '>>',
];

const ID_START = /[A-Za-z_$\u0080-\uffff]/;
const ID_PART = /[\w$\u0080-\uffff]/;

/**
 * Splits JavaScript into tokens `{type, value, nl}` (`nl`: a line break came before it).
 * Strings, template literals and regular expressions become one token each; comments
 * and white space disappear. Good enough to find declarations, not a full lexer.
 */
export function tokenize(src) {
  const out = [];
  let i = 0;
  let nl = false;
  const n = src.length;
  const push = (type, value) => { out.push({ type, value, nl }); nl = false; };
  // Template literals may nest code (`${...}`) that holds more templates and braces.
  const braceStack = [];
  const regexAllowed = () => {
    const p = out[out.length - 1];
    if (!p) return true;
    if (p.type === 'id') return KEYWORDS_BEFORE_EXPRESSION.has(p.value);
    if (p.type === 'punct') return ![')', ']'].includes(p.value);
    return false;
  };
  const skipTemplateChunk = () => {
    // i is just after a backtick or a `}` that closed `${`; runs to the closing
    // backtick (returns false) or to a `${` (returns true).
    while (i < n) {
      const c = src[i];
      if (c === '\\') { i += 2; continue; }
      if (c === '`') { i++; return false; }
      if (c === '$' && src[i + 1] === '{') { i += 2; return true; }
      i++;
    }
    return false;
  };
  while (i < n) {
    const c = src[i];
    if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') { nl = true; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      if (src.slice(i, stop).includes('\n')) nl = true;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i++;
      while (i < n && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      i++;
      push('str', src.slice(start, i));
      continue;
    }
    if (c === '`') {
      i++;
      if (skipTemplateChunk()) braceStack.push('template');
      else push('tmpl', '`');
      continue;
    }
    if (c === '}' && braceStack.length && braceStack[braceStack.length - 1] === 'template') {
      braceStack.pop();
      i++;
      if (skipTemplateChunk()) braceStack.push('template');
      else push('tmpl', '`');
      continue;
    }
    if (c === '/' && regexAllowed()) {
      const start = i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        if (src[i] === '\\') { i += 2; continue; }
        if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        else if (src[i] === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && ID_PART.test(src[i])) i++;
      push('regex', src.slice(start, i));
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] || ''))) {
      const start = i;
      while (i < n && /[\w.]/.test(src[i])) {
        // An exponent's sign belongs to the number (1e-4).
        if ((src[i] === 'e' || src[i] === 'E') && (src[i + 1] === '-' || src[i + 1] === '+') && !/^0[xX]/.test(src.slice(start, i + 1))) i++;
        i++;
      }
      push('num', src.slice(start, i));
      continue;
    }
    if (ID_START.test(c) || c === '#') {
      const start = i++;
      while (i < n && ID_PART.test(src[i])) i++;
      push('id', src.slice(start, i));
      continue;
    }
    const p = PUNCTUATORS.find((q) => src.startsWith(q, i)) || c;
    i += p.length;
    if (p === '{' && braceStack.length) braceStack.push('{');
    else if (p === '}' && braceStack.length) braceStack.pop();
    push('punct', p);
  }
  return out;
}

const OPEN = { '(': ')', '[': ']', '{': '}' };
const CLOSE = new Set([')', ']', '}']);

/** True where a line break before token `k` ends the statement (automatic semicolon). */
function endsStatement(toks, k) {
  const t = toks[k];
  if (!t.nl) return false;
  const prev = toks[k - 1];
  const prevEnds = prev && (['str', 'num', 'tmpl', 'regex'].includes(prev.type)
    || (prev.type === 'id' && !KEYWORDS_BEFORE_EXPRESSION.has(prev.value))
    || (prev.type === 'punct' && (CLOSE.has(prev.value) || prev.value === '++' || prev.value === '--')));
  const nextStarts = t.type === 'id' || t.type === 'num' || t.type === 'str'
    || (t.type === 'punct' && ['{', '++', '--', '!', '~'].includes(t.value));
  return Boolean(prevEnds && nextStarts);
}

/** Skips an expression from `k` to a `,` or `;` at its own depth, or to an unmatched closer. */
function skipExpression(toks, k, stopAt) {
  let depth = 0;
  const start = k;
  for (; k < toks.length; k++) {
    const t = toks[k];
    if (depth === 0 && k > start && endsStatement(toks, k)) return k;
    if (t.type !== 'punct') continue;
    if (OPEN[t.value]) depth++;
    else if (CLOSE.has(t.value)) {
      if (depth === 0) return k;
      depth--;
    } else if (depth === 0 && (t.value === ';' || stopAt.includes(t.value))) return k;
  }
  return k;
}

/** Reads a binding target (name or pattern) at `k`; adds its names; returns the next index. */
function readTarget(toks, k, names) {
  const t = toks[k];
  if (!t) return k;
  if (t.type === 'id') { names.push(t.value); return k + 1; }
  if (t.type === 'punct' && t.value === '{') return readObjectPattern(toks, k, names);
  if (t.type === 'punct' && t.value === '[') return readArrayPattern(toks, k, names);
  return k + 1;
}

function readObjectPattern(toks, k, names) {
  k++; // '{'
  while (k < toks.length && toks[k].value !== '}') {
    const t = toks[k];
    if (t.value === ',') { k++; continue; }
    if (t.value === '...') { k = readTarget(toks, k + 1, names); continue; }
    let key = null;
    if (t.value === '[') k = skipExpression(toks, k + 1, []) + 1; // computed key
    else { key = t; k++; }
    if (toks[k]?.value === ':') k = readTarget(toks, k + 1, names);
    else if (key?.type === 'id') names.push(key.value);
    if (toks[k]?.value === '=') k = skipExpression(toks, k + 1, [',']);
  }
  return k + 1;
}

function readArrayPattern(toks, k, names) {
  k++; // '['
  while (k < toks.length && toks[k].value !== ']') {
    const t = toks[k];
    if (t.value === ',') { k++; continue; }
    if (t.value === '...') { k = readTarget(toks, k + 1, names); continue; }
    k = readTarget(toks, k, names);
    if (toks[k]?.value === '=') k = skipExpression(toks, k + 1, [',']);
  }
  return k + 1;
}

/** Where a statement may start: after nothing, `;`, `}`, or a line break that ends one. */
function atStatementStart(toks, k) {
  const prev = toks[k - 1];
  if (!prev) return true;
  if (prev.type === 'punct' && (prev.value === ';' || prev.value === '}' || prev.value === '{')) return true;
  return endsStatement(toks, k);
}

/**
 * The names a piece of code declares at its top level (brace depth 0): `const`, `let`
 * and `var` declarators (patterns included), `function` and `class` declarations.
 * Duplicates removed, in order of appearance.
 */
export function declaredNames(src) {
  const toks = tokenize(src);
  const names = [];
  let depth = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.type === 'punct') {
      if (OPEN[t.value]) depth++;
      else if (CLOSE.has(t.value)) depth = Math.max(0, depth - 1);
      continue;
    }
    if (depth !== 0 || t.type !== 'id') continue;
    if ((t.value === 'const' || t.value === 'let' || t.value === 'var') && atStatementStart(toks, k)) {
      let j = k + 1;
      for (;;) {
        j = readTarget(toks, j, names);
        if (toks[j]?.value === '=') j = skipExpression(toks, j + 1, [',']);
        if (toks[j]?.value === ',') { j++; continue; }
        break;
      }
      k = j - 1;
    } else if ((t.value === 'function' || t.value === 'class')
      && (atStatementStart(toks, k) || (toks[k - 1]?.value === 'async' && atStatementStart(toks, k - 1)))) {
      let j = k + 1;
      if (toks[j]?.value === '*') j++;
      if (toks[j]?.type === 'id') names.push(toks[j].value);
    }
  }
  return [...new Set(names)].filter((x) => !x.startsWith('#'));
}

/**
 * The source of the factory for one cell: `new Function('__builtins', '__scope',
 * '__capture', source)` returns the cell's async function. The capture line is on the
 * body's first line so the cell's line L is line L + 1 of the body.
 */
export function cellSource(code, names = declaredNames(code)) {
  const getters = names.map((x) => `${JSON.stringify(x)}: () => ${x}`).join(', ');
  return `with (__builtins) { with (__scope) { return async function () { __capture({${getters}});\n${code}\n}; } }`;
}

/** Copies every readable getter's value into `scope`; returns the names kept. */
export function keepDeclared(scope, getters) {
  const kept = [];
  for (const [name, get] of Object.entries(getters || {})) {
    try {
      scope[name] = get();
      kept.push(name);
    } catch {
      // Still in its temporal dead zone (the cell failed before the declaration ran),
      // or not a declaration after all.
    }
  }
  return kept;
}
