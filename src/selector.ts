/**
 * Calico label selectors: tokenizer, parser, evaluator, canonical printer and a
 * formatting-preserving label-key renamer.
 *
 * The grammar is the one of Calico v1 (libcalico-go v1.5.3) and v3.0 (libcalico-go release-v3.0).
 * `lib/selector/tokenizer/tokenizer.go` is identical in both; `lib/selector/parser/parser.go` differs
 * only in Go receiver types. This module was written from the facts below, which were read from those
 * two files and from `parser/ast.go` (evaluation semantics). It mirrors what upstream accepts and
 * rejects; only the error messages are our own (upstream's carry no offsets).
 *
 * Tokenizer facts (upstream order of attempts after skipping blanks):
 * - Blanks between tokens are ONLY space and tab (`strings.TrimLeft(input, " \t")`). A newline, CR or
 *   form feed between tokens is an "unexpected character", so a YAML `|` block selector that contains
 *   a line break is invalid upstream.
 * - Single characters: `(` `)` `{` `}` `,`. `==` (a lone `=` is an error), `!=` else `!`, `&&` and `||`
 *   (a lone `&` or `|` is an error).
 * - Strings: `"…"` or `'…'`, no escapes; the content runs to the next quote of the same kind and may
 *   contain anything else, including the other quote, blanks and newlines.
 * - Otherwise, regexes tried in this order, anchored at the current position:
 *   `has\(\s*(KEY)\s*\)`, `not\s*in\b`, `in\b`, `all\(\s*\)`, then `KEY`, where
 *   KEY = LabelKeyMatcher = `[a-zA-Z0-9_./-]{1,512}` and Go's `\s` is `[\t\n\f\r ]`.
 * Consequences (all verified against the regexes above):
 * - `has(` and `all(` must be written with no space before `(`. `has (a)` tokenizes as the label
 *   `has` followed by `(`, which the parser then rejects; the same for `all ()`. Blanks (including
 *   newlines) ARE allowed inside the parentheses: `has( a )`, `all( )`.
 * - `in` / `not in` need no surrounding whitespace where a word boundary exists: `a in{"x"}` is valid.
 *   `not` and `in` may be glued: `a notin {"x"}` means `a not in {"x"}`. A preceding blank is still
 *   needed in practice, because a label key greedily swallows `ain`.
 * - Because the keyword regexes run before the label regex, a label key that is `in` or `notin`, or
 *   starts with them followed by `.`, `/` or `-` (e.g. `in.example/x`), can be used inside `has(...)`
 *   but NOT on the left of `==`, `!=`, `in` or `not in`.
 * - The 512-character cap is enforced by splitting: a 513-character key becomes a 512-character label
 *   followed by a 1-character label, which the parser rejects. (Quirk: a 512-character key immediately
 *   followed by `in {…}` without a space is therefore accepted.)
 *
 * Parser facts:
 * - `||` has the lowest precedence, then `&&`; both are left-associative chains.
 * - An operation is any number of `!` followed by `has(k)`, `all()`, `k == "v"`, `k != "v"`,
 *   `k in {…}`, `k not in {…}` or a parenthesized expression; so `!a == "x"` means `!(a == "x")`.
 *   Upstream collapses repeated `!`s into one flag; this module keeps nested `not` nodes (same meaning).
 * - Sets: `{}` is allowed, values are strings separated by `,`, and a trailing comma is accepted
 *   (`{"a",}`); a leading comma (`{,}`) is not.
 * - An empty or blank-only selector means `all()`. Anything left after the top-level expression is an
 *   error.
 *
 * Evaluation (ast.go): `has(k)` = k present; `k == v` = present and equal; `k != v` = absent OR not
 * equal; `k in S` = present and in S; `k not in S` = absent OR not in S; `all()` = true.
 */
import { remembered, type Remembered } from './util.js';

/** The kinds of token produced by {@link tokenizeSelector}. */
export type SelectorTokenKind =
  | 'all'
  | 'has'
  | 'lparen'
  | 'rparen'
  | 'not'
  | 'and'
  | 'or'
  | 'eq'
  | 'ne'
  | 'in'
  | 'notin'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'string'
  | 'label';

/**
 * One token of a selector. `text` is always exactly `source.slice(start, end)`: a string token includes
 * its quotes, a `has` token spans the whole `has( key )`, a `notin` token spans e.g. `not  in`.
 * A `has` token is immediately followed by a `label` token for the key inside it, with the key's own
 * offsets, so every label-key occurrence in the source is a `label` token.
 */
export interface SelectorToken {
  kind: SelectorTokenKind;
  text: string;
  start: number;
  end: number;
}

/** A parsed selector. Binary operators are left-associative: `a && b && c` is `and(and(a, b), c)`. */
export type SelectorNode =
  | { readonly kind: 'all' }
  | { readonly kind: 'has'; readonly key: string }
  | { readonly kind: 'eq' | 'ne'; readonly key: string; readonly value: string }
  | { readonly kind: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: 'not'; readonly operand: SelectorNode }
  | { readonly kind: 'and' | 'or'; readonly left: SelectorNode; readonly right: SelectorNode };

/** A syntax error in a selector; `position` is the UTF-16 offset in the source where it was found. */
export class SelectorError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'SelectorError';
    this.position = position;
  }
}

/** Upstream LabelKeyMatcher (libcalico-go lib/selector/tokenizer/tokenizer.go). */
export const SELECTOR_LABEL_KEY_PATTERN = '[a-zA-Z0-9_./-]{1,512}';

// ---------------------------------------------------------------------------------------------
// Tokenizer

const SINGLE: Readonly<Record<string, SelectorTokenKind>> = {
  '(': 'lparen',
  ')': 'rparen',
  '{': 'lbrace',
  '}': 'rbrace',
  ',': 'comma',
};

const DOUBLED: Readonly<Record<string, SelectorTokenKind>> = { '=': 'eq', '&': 'and', '|': 'or' };

/**
 * Splits a selector into tokens, skipping blanks (space and tab only, as upstream).
 * An empty or blank-only selector yields no tokens.
 * @throws {SelectorError} on an unterminated string, a lone `=`, `&` or `|`, or any other character
 *   that cannot start a token.
 */
export function tokenizeSelector(text: string): SelectorToken[] {
  const tokens: SelectorToken[] = [];
  let pos = skipBlanks(text, 0);
  while (pos < text.length) {
    pos = skipBlanks(text, readToken(text, pos, tokens));
  }
  return tokens;
}

/** The offset of the first character at or after `pos` that is not a space or a tab. */
function skipBlanks(text: string, pos: number): number {
  let at = pos;
  for (let c = text.charCodeAt(at); c === 32 || c === 9; c = text.charCodeAt(at)) at++;
  return at;
}

function token(text: string, kind: SelectorTokenKind, start: number, end: number): SelectorToken {
  return { kind, text: text.slice(start, end), start, end };
}

/** Reads the token at `pos` (not a blank) into `out`; returns the offset just after it. */
function readToken(text: string, pos: number, out: SelectorToken[]): number {
  const ch = text.charAt(pos);
  const single = SINGLE[ch];
  if (single !== undefined) {
    out.push(token(text, single, pos, pos + 1));
    return pos + 1;
  }
  if (ch === '"' || ch === "'") return readString(text, pos, out);
  if (ch === '!') return readBang(text, pos, out);
  const doubled = DOUBLED[ch];
  if (doubled !== undefined) return readDoubled(text, pos, doubled, out);
  return readWord(text, pos, out);
}

function readString(text: string, pos: number, out: SelectorToken[]): number {
  const quote = text.charAt(pos);
  const close = text.indexOf(quote, pos + 1);
  if (close === -1) {
    throw new SelectorError(
      `unterminated string starting at offset ${pos}: expected a closing ${quote} before the end of the selector`,
      pos,
    );
  }
  out.push(token(text, 'string', pos, close + 1));
  return close + 1;
}

function readBang(text: string, pos: number, out: SelectorToken[]): number {
  const end = text.charAt(pos + 1) === '=' ? pos + 2 : pos + 1;
  out.push(token(text, end === pos + 2 ? 'ne' : 'not', pos, end));
  return end;
}

function readDoubled(text: string, pos: number, kind: SelectorTokenKind, out: SelectorToken[]): number {
  const ch = text.charAt(pos);
  if (text.charAt(pos + 1) !== ch) {
    throw new SelectorError(`expected ${ch}${ch} at offset ${pos}`, pos);
  }
  out.push(token(text, kind, pos, pos + 2));
  return pos + 2;
}

/** A character of a label key: `[a-zA-Z0-9_./-]`. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 47 || c === 45;
}

/** A character of a JS regex word (`\w`, without the u flag): `[A-Za-z0-9_]`. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** The offset after Go's `\s*` (tab, newline, form feed, carriage return, space) at `pos`. */
function skipGoSpace(text: string, pos: number): number {
  let at = pos;
  for (let c = text.charCodeAt(at); c === 32 || c === 9 || c === 10 || c === 12 || c === 13; c = text.charCodeAt(at)) at++;
  return at;
}

/** The end of the label key at `pos` (`SELECTOR_LABEL_KEY_PATTERN`, greedy, at most 512 characters); `pos` when there is none. */
function keyEnd(text: string, pos: number): number {
  const limit = Math.min(text.length, pos + 512);
  let at = pos;
  while (at < limit && isKeyChar(text.charCodeAt(at))) at++;
  return at;
}

/**
 * Keywords and label keys, tried in upstream order: `has\(\s*(KEY)\s*\)`, `not\s*in\b`, `in\b`,
 * `all\(\s*\)`, then KEY. Each pattern is matched character by character, as the regexes
 * upstream's regexes would match it at `pos` (test/selector.test.ts checks the two against each
 * other): a selector is read several times while converting, and a regex match
 * allocates its result each time.
 */
function readWord(text: string, pos: number, out: SelectorToken[]): number {
  if (text.startsWith('has(', pos)) {
    // No blank can be part of a key, so the greedy key and the blanks around it cannot trade characters.
    const key = skipGoSpace(text, pos + 4);
    const end = keyEnd(text, key);
    const close = skipGoSpace(text, end);
    if (end > key && text.charCodeAt(close) === 41) {
      out.push(token(text, 'has', pos, close + 1), token(text, 'label', key, end));
      return close + 1;
    }
  }
  if (text.startsWith('not', pos)) {
    const at = skipGoSpace(text, pos + 3);
    if (text.startsWith('in', at) && !isWordChar(text.charCodeAt(at + 2))) {
      out.push(token(text, 'notin', pos, at + 2));
      return at + 2;
    }
  }
  if (text.startsWith('in', pos) && !isWordChar(text.charCodeAt(pos + 2))) {
    out.push(token(text, 'in', pos, pos + 2));
    return pos + 2;
  }
  if (text.startsWith('all(', pos)) {
    const close = skipGoSpace(text, pos + 4);
    if (text.charCodeAt(close) === 41) {
      out.push(token(text, 'all', pos, close + 1));
      return close + 1;
    }
  }
  const end = keyEnd(text, pos);
  if (end > pos) {
    out.push(token(text, 'label', pos, end));
    return end;
  }
  throw new SelectorError(`unexpected character ${JSON.stringify(text.charAt(pos))} at offset ${pos}`, pos);
}

// ---------------------------------------------------------------------------------------------
// Parser

interface Cursor {
  readonly text: string;
  readonly tokens: readonly SelectorToken[];
  index: number;
}

const OPERATOR_TEXT: Readonly<Partial<Record<SelectorTokenKind, string>>> = {
  eq: '==',
  ne: '!=',
  in: 'in',
  notin: 'not in',
};

/**
 * Parses a selector into an AST. An empty or blank-only selector parses as `{ kind: 'all' }`.
 * @throws {SelectorError} with the offset of the first problem.
 */
export function parseSelector(text: string): SelectorNode {
  return parseTokens(text, tokenizeSelector(text));
}

function parseTokens(text: string, tokens: readonly SelectorToken[]): SelectorNode {
  if (tokens.length === 0) return { kind: 'all' };
  const c: Cursor = { text, tokens, index: 0 };
  const node = parseOr(c);
  expectEnd(c);
  return node;
}

function peek(c: Cursor): SelectorToken | undefined {
  return c.tokens[c.index];
}

/** Offset of the next token, or the source length at the end. */
function offset(c: Cursor): number {
  return peek(c)?.start ?? c.text.length;
}

/** Consumes and returns the next token if it has the given kind. */
function accept(c: Cursor, kind: SelectorTokenKind): SelectorToken | undefined {
  const t = peek(c);
  if (t?.kind !== kind) return undefined;
  c.index += 1;
  return t;
}

function fail(c: Cursor, expected: string): never {
  const at = offset(c);
  throw new SelectorError(`expected ${expected} at offset ${at}`, at);
}

function expectEnd(c: Cursor): void {
  const t = peek(c);
  if (t === undefined) return;
  if (t.kind === 'rparen') throw new SelectorError(`unmatched ) at offset ${t.start}`, t.start);
  fail(c, '&&, || or the end of the selector');
}

function parseOr(c: Cursor): SelectorNode {
  let left = parseAnd(c);
  while (accept(c, 'or')) left = { kind: 'or', left, right: parseAnd(c) };
  return left;
}

function parseAnd(c: Cursor): SelectorNode {
  let left = parseUnary(c);
  while (accept(c, 'and')) left = { kind: 'and', left, right: parseUnary(c) };
  return left;
}

function parseUnary(c: Cursor): SelectorNode {
  if (accept(c, 'not')) return { kind: 'not', operand: parseUnary(c) };
  return parsePrimary(c);
}

function parsePrimary(c: Cursor): SelectorNode {
  if (accept(c, 'all')) return { kind: 'all' };
  if (accept(c, 'has')) {
    const key = accept(c, 'label') ?? fail(c, 'a label key inside has()');
    return { kind: 'has', key: key.text };
  }
  const open = accept(c, 'lparen');
  if (open) return parseGroup(c, open);
  const key = accept(c, 'label');
  if (key) return parseComparison(c, key);
  const t = peek(c);
  if (t?.kind === 'in' || t?.kind === 'notin') {
    const message = `found the keyword ${t.text} at offset ${t.start} where a label key was expected`;
    throw new SelectorError(message, t.start);
  }
  return fail(c, 'a label key, has(), all(), ! or (');
}

function parseGroup(c: Cursor, open: SelectorToken): SelectorNode {
  const node = parseOr(c);
  if (!accept(c, 'rparen')) {
    const at = offset(c);
    throw new SelectorError(`expected ) at offset ${at} to close the ( at offset ${open.start}`, at);
  }
  return node;
}

function parseComparison(c: Cursor, key: SelectorToken): SelectorNode {
  const op = peek(c);
  const opText = op === undefined ? undefined : OPERATOR_TEXT[op.kind];
  if (op === undefined || opText === undefined) return failAfterLabel(c, key);
  c.index += 1;
  if (op.kind === 'eq' || op.kind === 'ne') {
    const value = accept(c, 'string') ?? fail(c, `a string after ${opText}`);
    return { kind: op.kind, key: key.text, value: stringValue(value) };
  }
  if (!accept(c, 'lbrace')) fail(c, `{ after ${opText}`);
  return { kind: op.kind === 'in' ? 'in' : 'notin', key: key.text, values: parseSetBody(c) };
}

/** Parses `"a", "b"}` (after the `{`); a trailing comma is accepted, as upstream. */
function parseSetBody(c: Cursor): string[] {
  const values: string[] = [];
  let afterValue = false;
  for (let value = accept(c, 'string'); value; value = accept(c, 'string')) {
    values.push(stringValue(value));
    afterValue = !accept(c, 'comma');
    if (afterValue) break;
  }
  if (!accept(c, 'rbrace')) fail(c, afterValue ? ', or }' : 'a string or }');
  return values;
}

function stringValue(t: SelectorToken): string {
  return t.text.slice(1, -1);
}

/** Explains a label key that is not followed by an operator, with hints for common upstream traps. */
function failAfterLabel(c: Cursor, key: SelectorToken): never {
  const next = peek(c);
  if (next?.kind === 'label' && next.start === key.end) {
    throw new SelectorError(`label key longer than 512 characters at offset ${key.start}`, key.start);
  }
  if (next?.kind === 'lparen' && (key.text === 'has' || key.text === 'all')) {
    const form = key.text === 'has' ? 'has(<label key>)' : 'all()';
    throw new SelectorError(`expected ${form} with no space before ( at offset ${key.start}`, key.start);
  }
  return fail(c, '==, !=, in or not in after a label key');
}

/**
 * Checks a selector. The same selector text comes back in many objects (a namespace's in each of
 * its policies): each is checked once.
 * @returns `undefined` if it parses, else the {@link SelectorError} message.
 */
export const validateSelector: Remembered<string, string | undefined> = remembered((text: string) => {
  try {
    parseSelector(text);
    return undefined;
  } catch (error) {
    if (error instanceof SelectorError) return error.message;
    throw error;
  }
});

/**
 * Every label key the selector references, in source order, duplicates kept
 * (keys inside `has(...)` included; text inside string literals never).
 * @throws {SelectorError} if the selector does not parse.
 */
export function selectorLabelKeys(text: string): string[] {
  const tokens = tokenizeSelector(text);
  parseTokens(text, tokens);
  return tokens.filter((t) => t.kind === 'label').map((t) => t.text);
}

// ---------------------------------------------------------------------------------------------
// Renaming

/**
 * Replaces every label-key occurrence equal to `from` with `to`, leaving every other character of the
 * input (spacing, quote style, string literals, parentheses) exactly as it was.
 * Returns the input unchanged if `from` does not occur as a label key.
 * @throws {SelectorError} if the selector does not parse, or if `to` cannot stand where `from` stood
 *   (for example `to` is not a label key, or is `in` left of an operator).
 */
export function renameSelectorLabel(text: string, from: string, to: string): string {
  const tokens = tokenizeSelector(text);
  const before = parseTokens(text, tokens);
  const hits = tokens.filter((t) => t.kind === 'label' && t.text === from);
  const first = hits[0];
  if (first === undefined || from === to) return text;
  const renamed = spliceTokens(text, hits, () => to);
  const what = `${JSON.stringify(from)} to ${JSON.stringify(to)}`;
  checkRename(renamed, renameSelectorNodeLabel(before, from, to), first.start, what);
  return renamed;
}

/**
 * Renames label keys: each key that `rename` gives a new key for is replaced wherever it stands as
 * a label key, as {@link renameSelectorLabel} would do for one key after another (in the order
 * they first occur), and with the same errors; but the source and the result are parsed once each.
 * Keys `rename` gives no new key for (undefined) stay as written.
 * @returns the renamed text, and the renames made, in the order their keys first occur.
 * @throws {SelectorError} if the selector does not parse, or a renamed key cannot stand where it stood.
 */
export function renameSelectorLabels(text: string, rename: (key: string) => string | undefined): { text: string; renamed: [string, string][] } {
  const tokens = tokenizeSelector(text);
  const before = parseTokens(text, tokens);
  const targets = new Map<string, string | undefined>();
  const renamed: [string, string][] = [];
  const hits: SelectorToken[] = [];
  const replacements: string[] = [];
  for (const t of tokens) {
    if (t.kind !== 'label') continue;
    let to = targets.get(t.text);
    if (!targets.has(t.text)) {
      to = rename(t.text);
      targets.set(t.text, to);
      if (to !== undefined) renamed.push([t.text, to]);
    }
    if (to === undefined || to === t.text) continue;
    hits.push(t);
    replacements.push(to);
  }
  if (hits.length === 0) return { text, renamed };
  const out = spliceTokens(text, hits, (i) => replacements[i]!);
  let expected = before;
  for (const [from, to] of renamed) expected = renameSelectorNodeLabel(expected, from, to);
  if (renameProblem(out, expected) === undefined) return { text: out, renamed };
  // Otherwise key after key decides: a rename that writes a key renamed later (a chain) makes
  // another text, and a key that cannot stand where it stood gets its own error.
  let keyByKey = text;
  for (const [from, to] of renamed) keyByKey = renameSelectorLabel(keyByKey, from, to);
  return { text: keyByKey, renamed };
}

/** Replaces the source ranges of `hits` (in source order) with the text `replacement` gives for each. */
function spliceTokens(text: string, hits: readonly SelectorToken[], replacement: (index: number) => string): string {
  let out = '';
  let pos = 0;
  for (let i = 0; i < hits.length; i++) {
    out += text.slice(pos, hits[i]!.start) + replacement(i);
    pos = hits[i]!.end;
  }
  return out + text.slice(pos);
}

/** Why the rewritten text is not exactly the expected AST (it does not parse, or parses to another); undefined when it is. */
function renameProblem(renamed: string, expected: SelectorNode): string | undefined {
  try {
    return sameSelector(parseSelector(renamed), expected) ? undefined : `${JSON.stringify(renamed)} parses to a different selector`;
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    return error.message;
  }
}

/** Ensures the rewritten text parses to exactly the expected AST. */
function checkRename(renamed: string, expected: SelectorNode, position: number, what: string): void {
  const problem = renameProblem(renamed, expected);
  if (problem !== undefined) {
    const message = `cannot rename label key ${what} (first at offset ${position}): in the result, ${problem}`;
    throw new SelectorError(message, position);
  }
}

/** Two ASTs are the same selector node for node (what `isDeepStrictEqual` says of them, without its generic walk). */
function sameSelector(a: SelectorNode, b: SelectorNode): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'all':
      return true;
    case 'has':
      return a.key === (b as typeof a).key;
    case 'eq':
    case 'ne':
      return a.key === (b as typeof a).key && a.value === (b as typeof a).value;
    case 'in':
    case 'notin': {
      const other = b as typeof a;
      return a.key === other.key && a.values.length === other.values.length && a.values.every((v, i) => v === other.values[i]);
    }
    case 'not':
      return sameSelector(a.operand, (b as typeof a).operand);
    case 'and':
    case 'or':
      return sameSelector(a.left, (b as typeof a).left) && sameSelector(a.right, (b as typeof a).right);
  }
}

/**
 * Returns a copy of an AST with every label key equal to `from` replaced by `to`
 * (the AST counterpart of {@link renameSelectorLabel}; formatting is not kept).
 */
export function renameSelectorNodeLabel(node: SelectorNode, from: string, to: string): SelectorNode {
  switch (node.kind) {
    case 'all':
      return node;
    case 'not':
      return { kind: 'not', operand: renameSelectorNodeLabel(node.operand, from, to) };
    case 'and':
    case 'or':
      return {
        kind: node.kind,
        left: renameSelectorNodeLabel(node.left, from, to),
        right: renameSelectorNodeLabel(node.right, from, to),
      };
    default:
      return node.key === from ? { ...node, key: to } : node;
  }
}


// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * Evaluates a selector against a label map with upstream semantics: `has(k)` = k present;
 * `k == v` = present and equal; `k != v` = absent or different; `k in S` = present and in S;
 * `k not in S` = absent or not in S. Only own properties of `labels` count as present.
 */
export function evaluateSelector(node: SelectorNode, labels: Readonly<Record<string, string>>): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'not':
      return !evaluateSelector(node.operand, labels);
    case 'and':
      return evaluateSelector(node.left, labels) && evaluateSelector(node.right, labels);
    case 'or':
      return evaluateSelector(node.left, labels) || evaluateSelector(node.right, labels);
    default:
      return evaluateLeaf(node, labelValue(labels, node.key));
  }
}

function labelValue(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

type LeafNode = Extract<SelectorNode, { key: string }>;

function evaluateLeaf(node: LeafNode, value: string | undefined): boolean {
  switch (node.kind) {
    case 'has':
      return value !== undefined;
    case 'eq':
      return value === node.value;
    case 'ne':
      return value !== node.value;
    case 'in':
      return value !== undefined && node.values.includes(value);
    case 'notin':
      return value === undefined || !node.values.includes(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

/**
 * Prints a selector canonically: strings in double quotes (single quotes if the value contains `"`),
 * one space around `==`, `!=`, `in`, `not in`, `&&` and `||`, set values as `{"a", "b"}` in AST order,
 * and parentheses only where the AST needs them, so `parseSelector(selectorToString(x))` equals `x`.
 * Like upstream, a negated comparison prints without parentheses: `!a == "x"`.
 * @throws {RangeError} if the AST cannot be written in the grammar (an invalid label key, a key such
 *   as `in` left of an operator, or a value containing both quote characters).
 */
export function selectorToString(node: SelectorNode): string {
  checkPrintable(node);
  return selectorToStringUnchecked(node);
}

function selectorToStringUnchecked(node: SelectorNode): string {
  switch (node.kind) {
    case 'all':
      return 'all()';
    case 'has':
      return `has(${node.key})`;
    case 'eq':
    case 'ne':
      return `${node.key} ${OPERATOR_TEXT[node.kind]} ${quote(node.value)}`;
    case 'in':
    case 'notin':
      return `${node.key} ${OPERATOR_TEXT[node.kind]} {${node.values.map(quote).join(', ')}}`;
    case 'not':
      return `!${wrapIf(node.operand, node.operand.kind === 'and' || node.operand.kind === 'or')}`;
    case 'and':
    case 'or':
      return printBinary(node.kind, node.left, node.right);
  }
}

function printBinary(kind: 'and' | 'or', left: SelectorNode, right: SelectorNode): string {
  const wrapLeft = kind === 'and' && left.kind === 'or';
  const wrapRight = right.kind === 'or' || (kind === 'and' && right.kind === 'and');
  return `${wrapIf(left, wrapLeft)} ${kind === 'and' ? '&&' : '||'} ${wrapIf(right, wrapRight)}`;
}

function wrapIf(node: SelectorNode, wrap: boolean): string {
  const s = selectorToStringUnchecked(node);
  return wrap ? `(${s})` : s;
}

function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

const FULL_LABEL_KEY = new RegExp(`^${SELECTOR_LABEL_KEY_PATTERN}$`);
/** Keys the tokenizer reads as `in` / `not in` when they start an operation. */
const KEYWORD_PREFIX = /^(?:not)?in(?![a-zA-Z0-9_])/;

function checkPrintable(node: SelectorNode): void {
  switch (node.kind) {
    case 'all':
      return;
    case 'not':
      return checkPrintable(node.operand);
    case 'and':
    case 'or':
      checkPrintable(node.left);
      return checkPrintable(node.right);
    default:
      return checkLeaf(node);
  }
}

function checkLeaf(node: LeafNode): void {
  if (!FULL_LABEL_KEY.test(node.key)) {
    throw new RangeError(`invalid selector label key ${JSON.stringify(node.key)}`);
  }
  if (node.kind === 'has') return;
  if (KEYWORD_PREFIX.test(node.key)) {
    throw new RangeError(`label key ${JSON.stringify(node.key)} cannot be written left of an operator`);
  }
  const values = 'value' in node ? [node.value] : node.values;
  const bad = values.find((v) => v.includes('"') && v.includes("'"));
  if (bad !== undefined) {
    throw new RangeError(`selector value ${JSON.stringify(bad)} contains both quote characters`);
  }
}
