/**
 * src/selector.ts: Calico selector tokenizer, parser, evaluator, printer and label renamer.
 * Grammar facts are from libcalico-go v1.5.3 / release-v3.0 lib/selector (see the module comment);
 * evaluation vectors follow upstream parser_test.go.
 */
import test from 'ava';
import { seededRandom } from './_helpers/random.js';
import {
  SELECTOR_LABEL_KEY_PATTERN,
  SelectorError,
  evaluateSelector,
  parseSelector,
  renameSelectorLabel,
  renameSelectorLabels,
  renameSelectorNodeLabel,
  selectorLabelKeys,
  selectorToString,
  tokenizeSelector,
  validateSelector,
} from '../src/selector.js';
import type { SelectorNode, SelectorTokenKind } from '../src/selector.js';

// ---------------------------------------------------------------------------------------------
// AST builders

const all: SelectorNode = { kind: 'all' };
const has = (key: string): SelectorNode => ({ kind: 'has', key });
const eq = (key: string, value: string): SelectorNode => ({ kind: 'eq', key, value });
const ne = (key: string, value: string): SelectorNode => ({ kind: 'ne', key, value });
const inSet = (key: string, ...values: string[]): SelectorNode => ({ kind: 'in', key, values });
const notIn = (key: string, ...values: string[]): SelectorNode => ({ kind: 'notin', key, values });
const not = (operand: SelectorNode): SelectorNode => ({ kind: 'not', operand });
const and = (left: SelectorNode, right: SelectorNode): SelectorNode => ({ kind: 'and', left, right });
const or = (left: SelectorNode, right: SelectorNode): SelectorNode => ({ kind: 'or', left, right });

const key512 = 'k'.repeat(512);
const key513 = 'k'.repeat(513);

// ---------------------------------------------------------------------------------------------
// Macros

type TokenTuple = readonly [SelectorTokenKind, string, number, number];

const tokenizes = test.macro({
  exec(t, input: string, expected: readonly TokenTuple[]) {
    const tokens = tokenizeSelector(input);
    t.deepEqual(
      tokens.map((tok) => [tok.kind, tok.text, tok.start, tok.end]),
      expected.map((tuple) => [...tuple]),
    );
    for (const tok of tokens) t.is(input.slice(tok.start, tok.end), tok.text);
  },
  title: (provided, input: string) => `tokenize ${provided ?? ''} ${JSON.stringify(input)}`.trim(),
});

const parses = test.macro({
  exec(t, input: string, expected: SelectorNode) {
    t.deepEqual(parseSelector(input), expected);
    t.is(validateSelector(input), undefined);
  },
  title: (provided, input: string) => `parse ${provided ?? ''} ${JSON.stringify(input.slice(0, 80))}`.trim(),
});

const rejects = test.macro({
  exec(t, input: string, message: string, position: number) {
    const error = t.throws(() => parseSelector(input), { instanceOf: SelectorError });
    t.is(error?.message, message);
    t.is(error?.position, position);
    t.is(validateSelector(input), message);
  },
  title: (provided, input: string) => `reject ${provided ?? ''}: ${JSON.stringify(input.slice(0, 60))}`,
});

const renames = test.macro({
  exec(t, input: string, from: string, to: string, expected: string) {
    t.is(renameSelectorLabel(input, from, to), expected);
  },
  title: (provided, input: string, from: string, to: string) =>
    `rename ${provided ?? ''} ${from} → ${to} in ${JSON.stringify(input)}`.replace(/ +/g, ' '),
});

const evaluates = test.macro({
  exec(t, selector: string, cases: ReadonlyArray<readonly [Record<string, string>, boolean]>) {
    const node = parseSelector(selector);
    for (const [labels, expected] of cases) {
      t.is(evaluateSelector(node, labels), expected, `${selector} on ${JSON.stringify(labels)}`);
    }
  },
  title: (provided, selector: string) => `evaluate ${provided ?? ''} ${JSON.stringify(selector)}`.trim(),
});

const roundTrips = test.macro({
  exec(t, input: string, canonical: string) {
    const node = parseSelector(input);
    const printed = selectorToString(node);
    t.is(printed, canonical);
    t.deepEqual(parseSelector(printed), node);
  },
  title: (_provided, input: string, canonical: string) =>
    `round trip ${JSON.stringify(input)} → ${JSON.stringify(canonical)}`,
});

// ---------------------------------------------------------------------------------------------
// Tokenizer

test('every keyword and punctuation', tokenizes, `has(a)&&!b!=''||all()`, [
  ['has', 'has(a)', 0, 6],
  ['label', 'a', 4, 5],
  ['and', '&&', 6, 8],
  ['not', '!', 8, 9],
  ['label', 'b', 9, 10],
  ['ne', '!=', 10, 12],
  ['string', "''", 12, 14],
  ['or', '||', 14, 16],
  ['all', 'all()', 16, 21],
]);
test('sets with both quote styles', tokenizes, `a in {"x", 'y'}`, [
  ['label', 'a', 0, 1],
  ['in', 'in', 2, 4],
  ['lbrace', '{', 5, 6],
  ['string', '"x"', 6, 9],
  ['comma', ',', 9, 10],
  ['string', "'y'", 11, 14],
  ['rbrace', '}', 14, 15],
]);
test('blanks inside has() and all(), label keeps its own offsets', tokenizes, `has( \tcalico/k8s_ns\n) || all(  )`, [
  ['has', 'has( \tcalico/k8s_ns\n)', 0, 21],
  ['label', 'calico/k8s_ns', 6, 19],
  ['or', '||', 22, 24],
  ['all', 'all(  )', 25, 32],
]);
test('"not in" with several spaces is one token', tokenizes, `a not   in {}`, [
  ['label', 'a', 0, 1],
  ['notin', 'not   in', 2, 10],
  ['lbrace', '{', 11, 12],
  ['rbrace', '}', 12, 13],
]);
test('"notin" glued and "in" before { need no space', tokenizes, `a notin{}`, [
  ['label', 'a', 0, 1],
  ['notin', 'notin', 2, 7],
  ['lbrace', '{', 7, 8],
  ['rbrace', '}', 8, 9],
]);
test('== and strings need no spaces; strings keep the other quote', tokenizes, `a=="it's"`, [
  ['label', 'a', 0, 1],
  ['eq', '==', 1, 3],
  ['string', `"it's"`, 3, 9],
]);
test('keys starting with keywords but continuing with word chars are labels', tokenizes, `index == 'x' && notice != 'y'`, [
  ['label', 'index', 0, 5],
  ['eq', '==', 6, 8],
  ['string', "'x'", 9, 12],
  ['and', '&&', 13, 15],
  ['label', 'notice', 16, 22],
  ['ne', '!=', 23, 25],
  ['string', "'y'", 26, 29],
]);
test('"has" and "all" without ( are plain labels', tokenizes, `has == 'all'`, [
  ['label', 'has', 0, 3],
  ['eq', '==', 4, 6],
  ['string', "'all'", 7, 12],
]);
test('a 513-character key splits into 512 + 1 (upstream)', tokenizes, key513, [
  ['label', key512, 0, 512],
  ['label', 'k', 512, 513],
]);
test('empty selector', tokenizes, '', []);
test('blank selector', tokenizes, ' \t ', []);

// ---------------------------------------------------------------------------------------------
// Parser: every construct

test('all()', parses, 'all()', all);
test('empty selector means all()', parses, '', all);
test('blank selector means all()', parses, '  \t', all);
test('has()', parses, 'has(a)', has('a'));
test('has() with inner blanks', parses, 'has(  a\t)', has('a'));
test('== with single quotes', parses, "a == 'x'", eq('a', 'x'));
test('== with double quotes', parses, 'a == "x"', eq('a', 'x'));
test('== with the empty string', parses, "profile1 == ''", eq('profile1', ''));
test('!= ', parses, "a != 'x'", ne('a', 'x'));
test('single-quoted value holding "', parses, `a == '"'`, eq('a', '"'));
test("double-quoted value holding '", parses, `a != "it's"`, ne('a', "it's"));
test('values keep blanks, braces and operators verbatim', parses, `a == " ( && } "`, eq('a', ' ( && } '));
test('in', parses, `a in {"x", 'y'}`, inSet('a', 'x', 'y'));
test('in with an empty set', parses, 'a in {}', inSet('a'));
test('in with a trailing comma (upstream accepts it)', parses, `a in {"x",}`, inSet('a', 'x'));
test('in keeps duplicates and order', parses, `a in {"y", "x", "y"}`, inSet('a', 'y', 'x', 'y'));
test('not in', parses, `a not in {"x"}`, notIn('a', 'x'));
test('not in with an empty set', parses, `a not in {}`, notIn('a'));
test('notin glued', parses, `a notin {"x"}`, notIn('a', 'x'));
test('no blanks anywhere', parses, `a=='x'&&b!="y"||c in{'z'}`, or(and(eq('a', 'x'), ne('b', 'y')), inSet('c', 'z')));
test('tabs are blanks', parses, "\ta\t==\t'x'\t", eq('a', 'x'));

// Parser: keys
test('key calico/k8s_ns', parses, "calico/k8s_ns == 'default'", eq('calico/k8s_ns', 'default'));
test('key projectcalico.org/namespace', parses, 'has(projectcalico.org/namespace)', has('projectcalico.org/namespace'));
test('key k8s_ns/label/app', parses, `k8s_ns/label/app in {"web"}`, inSet('k8s_ns/label/app', 'web'));
test('key with every allowed punctuation', parses, "a-b.c_d/E9 != 'x'", ne('a-b.c_d/E9', 'x'));
test('numeric key', parses, "123 == '4'", eq('123', '4'));
test('a 512-character key', parses, `${key512} == 'x'`, eq(key512, 'x'));
test('a 512-character key in has()', parses, `has(${key512})`, has(key512));
test('keyword-like keys are fine inside has()', parses, 'has(in) && has(notin.x)', and(has('in'), has('notin.x')));
test('keys named has and all', parses, `has == 'x' && all != "y"`, and(eq('has', 'x'), ne('all', 'y')));
test('quirk: a 512-character key glued to in', parses, `${key512}in {"x"}`, inSet(key512, 'x'));

// Parser: precedence and grouping
test('&& binds tighter than ||', parses, "a == 'x' || b == 'y' && c == 'z'", or(eq('a', 'x'), and(eq('b', 'y'), eq('c', 'z'))));
test('&& binds tighter than || (left)', parses, "a == 'x' && b == 'y' || c == 'z'", or(and(eq('a', 'x'), eq('b', 'y')), eq('c', 'z')));
test('&& is left-associative', parses, 'has(a) && has(b) && has(c)', and(and(has('a'), has('b')), has('c')));
test('|| is left-associative', parses, 'has(a) || has(b) || has(c)', or(or(has('a'), has('b')), has('c')));
test('parentheses override precedence', parses, "(a == 'x' || b == 'y') && c == 'z'", and(or(eq('a', 'x'), eq('b', 'y')), eq('c', 'z')));
test('nested parentheses', parses, '((has(a) || (has(b))) && ((all())))', and(or(has('a'), has('b')), all));
test('deeply nested parentheses', parses, '((((has(a)))))', has('a'));
test('all() as an operand', parses, "all() && a != 'x'", and(all, ne('a', 'x')));

// Parser: negation
test('!has()', parses, '!has(a)', not(has('a')));
test('! with a blank', parses, '! has(a)', not(has('a')));
test('!( == )', parses, "!(a == 'b')", not(eq('a', 'b')));
test('! applies to the whole comparison', parses, "!a == 'b'", not(eq('a', 'b')));
test('! on a set test', parses, `!a in {"b"}`, not(inSet('a', 'b')));
test('!all()', parses, '!all()', not(all));
test('!! keeps both negations', parses, '!!has(a)', not(not(has('a'))));
test('! binds tighter than &&', parses, '!has(a) && has(b)', and(not(has('a')), has('b')));
test('! on a group', parses, '!(has(a) || !has(b))', not(or(has('a'), not(has('b')))));
test('upstream canonicalisation input', parses, `! (a == "b"&&! c != "d")`, not(and(eq('a', 'b'), not(ne('c', 'd')))));

// ---------------------------------------------------------------------------------------------
// Parser: errors with positions

test('unterminated single-quoted string', rejects, "a == 'x", "unterminated string starting at offset 5: expected a closing ' before the end of the selector", 5);
test('unterminated double-quoted string', rejects, `a in {"x", "y}`, 'unterminated string starting at offset 11: expected a closing " before the end of the selector', 11);
test('mismatched quotes', rejects, `"FOO'`, 'unterminated string starting at offset 0: expected a closing " before the end of the selector', 0);
test('missing right operand of &&', rejects, "a == 'x' &&", 'expected a label key, has(), all(), ! or ( at offset 11', 11);
test('missing left operand of ||', rejects, "|| a == 'x'", 'expected a label key, has(), all(), ! or ( at offset 0', 0);
test('missing operand between operators', rejects, 'has(a) && || has(b)', 'expected a label key, has(), all(), ! or ( at offset 10', 10);
test('a lone !', rejects, '!', 'expected a label key, has(), all(), ! or ( at offset 1', 1);
test('empty parentheses', rejects, '()', 'expected a label key, has(), all(), ! or ( at offset 1', 1);
test('a string on the left', rejects, "'b1' == b", 'expected a label key, has(), all(), ! or ( at offset 0', 0);
test('== followed by a label', rejects, 'a == b', 'expected a string after == at offset 5', 5);
test('== at the end', rejects, "x == 'y' && a ==", 'expected a string after == at offset 16', 16);
test('!= followed by ||', rejects, 'foo != ||', 'expected a string after != at offset 7', 7);
test('a bare label', rejects, 'a ', 'expected ==, !=, in or not in after a label key at offset 2', 2);
test('a label followed by a label', rejects, 'a b', 'expected ==, !=, in or not in after a label key at offset 2', 2);
test('in without a set', rejects, `foo in ""`, 'expected { after in at offset 7', 7);
test('not in without a set', rejects, `foo not in "x"`, 'expected { after not in at offset 11', 11);
test('missing comma in a set', rejects, `a in {'x' 'y'}`, 'expected , or } at offset 10', 10);
test('leading comma in a set', rejects, 'a in {,}', 'expected a string or } at offset 6', 6);
test('unclosed set', rejects, `foo in {"", ||`, 'expected a string or } at offset 12', 12);
test('unclosed parenthesis', rejects, `(a == "foo"`, 'expected ) at offset 11 to close the ( at offset 0', 11);
test('lone (', rejects, '(', 'expected a label key, has(), all(), ! or ( at offset 1', 1);
test('one ) short', rejects, "((a == 'x') && has(b)", 'expected ) at offset 21 to close the ( at offset 0', 21);
test('unmatched )', rejects, "a == 'x')", 'unmatched ) at offset 8', 8);
test('lone )', rejects, ')', 'expected a label key, has(), all(), ! or ( at offset 0', 0);
test('trailing garbage after a comparison', rejects, "a == 'x' b == 'y'", 'expected &&, || or the end of the selector at offset 9', 9);
test('trailing garbage after all()', rejects, 'all() all()', 'expected &&, || or the end of the selector at offset 6', 6);
test('unknown character', rejects, "a == 'x' ; b", 'unexpected character ";" at offset 9', 9);
test('unknown character %', rejects, `a == "b" && %`, 'unexpected character "%" at offset 12', 12);
test('newline between tokens (only space and tab are blanks upstream)', rejects, "a == 'x'\n&& has(b)", 'unexpected character "\\n" at offset 8', 8);
test('a single =', rejects, "a = 'x'", 'expected == at offset 2', 2);
test('a single &', rejects, `foo == "bar" &`, 'expected && at offset 13', 13);
test('a single |', rejects, `foo == "bar" |`, 'expected || at offset 13', 13);
test('a 513-character key', rejects, `${key513} == 'x'`, 'label key longer than 512 characters at offset 0', 0);
test('a 513-character key in has()', rejects, `has(${key513})`, 'expected has(<label key>) with no space before ( at offset 0', 0);
test('has with a space before (', rejects, 'has (a)', 'expected has(<label key>) with no space before ( at offset 0', 0);
test('has() with two keys', rejects, 'x == "y" || has(a b)', 'expected has(<label key>) with no space before ( at offset 12', 12);
test('has() with no key', rejects, 'has()', 'expected has(<label key>) with no space before ( at offset 0', 0);
test('all with a space before (', rejects, 'all ()', 'expected all() with no space before ( at offset 0', 0);
test('key "in" left of ==', rejects, "in == 'x'", 'found the keyword in at offset 0 where a label key was expected', 0);
test('key "in.example/x" left of ==', rejects, "has(a) && in.example/x == 'x'", 'found the keyword in at offset 10 where a label key was expected', 10);
test('key "notin" left of ==', rejects, "notin == 'x'", 'found the keyword notin at offset 0 where a label key was expected', 0);

test('SelectorError carries a name and is an Error', (t) => {
  const error = t.throws(() => parseSelector('a =='), { instanceOf: SelectorError });
  t.true(error instanceof Error);
  t.is(error?.name, 'SelectorError');
});

test('tokenizeSelector throws SelectorError for an unknown character', (t) => {
  const error = t.throws(() => tokenizeSelector('a == "x" @'), { instanceOf: SelectorError });
  t.is(error?.position, 9);
});

// ---------------------------------------------------------------------------------------------
// validateSelector and selectorLabelKeys

test('validateSelector returns undefined for valid selectors', (t) => {
  for (const s of ['', 'all()', "a == 'x'", '!has(b) || c not in {}']) t.is(validateSelector(s), undefined, s);
});

const keys = test.macro({
  exec(t, input: string, expected: readonly string[]) {
    t.deepEqual(selectorLabelKeys(input), [...expected]);
  },
  title: (_provided, input: string, expected: readonly string[]) =>
    `selectorLabelKeys(${JSON.stringify(input)}) → ${JSON.stringify(expected)}`,
});

test(keys, '', []);
test(keys, 'all()', []);
test(keys, "calico/k8s_ns == 'calico/k8s_ns'", ['calico/k8s_ns']);
test(keys, 'has( b ) && a in {"c"} || !(b != \'d\') && e not in {}', ['b', 'a', 'b', 'e']);
test(keys, "x == 'has(y)' && z == \"w == 'v'\"", ['x', 'z']);

test('selectorLabelKeys throws on an invalid selector', (t) => {
  t.throws(() => selectorLabelKeys('a =='), { instanceOf: SelectorError, message: 'expected a string after == at offset 4' });
});

// ---------------------------------------------------------------------------------------------
// renameSelectorLabel

const K8S_NS = 'calico/k8s_ns';
const NAMESPACE = 'projectcalico.org/namespace';

test('key renamed, literal untouched', renames, `${K8S_NS} == '${K8S_NS}'`, K8S_NS, NAMESPACE, `${NAMESPACE} == '${K8S_NS}'`);
test('inside has()', renames, `has(${K8S_NS})`, K8S_NS, NAMESPACE, `has(${NAMESPACE})`);
test('both occurrences', renames, `${K8S_NS} in {"a", "b"} && !has(${K8S_NS})`, K8S_NS, NAMESPACE, `${NAMESPACE} in {"a", "b"} && !has(${NAMESPACE})`);
test(
  'odd formatting kept exactly',
  renames,
  `  ( has(\t${K8S_NS} )||${K8S_NS}!="x"&&a   not  in{'${K8S_NS}' ,} )\t`,
  K8S_NS,
  NAMESPACE,
  `  ( has(\t${NAMESPACE} )||${NAMESPACE}!="x"&&a   not  in{'${K8S_NS}' ,} )\t`,
);
test('only whole keys, not prefixes or suffixes', renames, `${K8S_NS}x == 'a' || x${K8S_NS} == 'b'`, K8S_NS, NAMESPACE, `${K8S_NS}x == 'a' || x${K8S_NS} == 'b'`);
test('k8s_ns/label prefix is a different key', renames, "k8s_ns/label/app == 'web' && has(app)", 'app', 'role', "k8s_ns/label/app == 'web' && has(role)");
test('a key absent from the selector', renames, "a == 'b'", K8S_NS, NAMESPACE, "a == 'b'");
test('the empty selector', renames, '', K8S_NS, NAMESPACE, '');
test('to a shorter key', renames, `${NAMESPACE} == "x" || has(${NAMESPACE})`, NAMESPACE, 'ns', 'ns == "x" || has(ns)');

test('renameSelectorLabel throws on an invalid selector', (t) => {
  const error = t.throws(() => renameSelectorLabel(`${K8S_NS} == `, K8S_NS, NAMESPACE), { instanceOf: SelectorError });
  t.is(error?.message, 'expected a string after == at offset 17');
  t.is(error?.position, 17);
});

test('renameSelectorLabel throws if the new key would not parse', (t) => {
  const error = t.throws(() => renameSelectorLabel("has(a) && a == 'x'", 'a', 'b c'), { instanceOf: SelectorError });
  t.is(error?.position, 4);
  t.regex(error?.message ?? '', /^cannot rename label key "a" to "b c" \(first at offset 4\)/);
});

test('renameSelectorLabel throws if the new key is read as a keyword', (t) => {
  t.throws(() => renameSelectorLabel("a == 'x'", 'a', 'in'), { instanceOf: SelectorError });
});

test('renameSelectorLabel throws if the new key would change the meaning', (t) => {
  t.throws(() => renameSelectorLabel("a == 'x'", 'a', "b == 'y' || c"), { instanceOf: SelectorError });
});

test('renameSelectorLabel allows a keyword-like key inside has()', (t) => {
  t.is(renameSelectorLabel('has(a)', 'a', 'in'), 'has(in)');
});

test('renameSelectorNodeLabel renames keys in an AST', (t) => {
  const node = parseSelector(`${K8S_NS} == '${K8S_NS}' && !(has(${K8S_NS}) || b in {})`);
  t.deepEqual(
    renameSelectorNodeLabel(node, K8S_NS, NAMESPACE),
    and(eq(NAMESPACE, K8S_NS), not(or(has(NAMESPACE), inSet('b')))),
  );
});

// ---------------------------------------------------------------------------------------------
// evaluateSelector truth tables (absent / equal / different)

test(evaluates, 'all()', [[{}, true], [{ a: 'x' }, true]]);
test(evaluates, '', [[{}, true]]);
test(evaluates, 'has(a)', [[{}, false], [{ a: 'x' }, true], [{ a: '' }, true], [{ b: 'x' }, false]]);
test(evaluates, "a == 'x'", [[{}, false], [{ a: 'x' }, true], [{ a: 'y' }, false], [{ b: 'x' }, false]]);
test(evaluates, "a == ''", [[{}, false], [{ a: '' }, true]]);
test(evaluates, "a != 'x'", [[{}, true], [{ a: 'x' }, false], [{ a: 'y' }, true]]);
test(evaluates, 'a in {"x", "y"}', [[{}, false], [{ a: 'x' }, true], [{ a: 'y' }, true], [{ a: 'z' }, false]]);
test(evaluates, 'a in {}', [[{}, false], [{ a: 'x' }, false]]);
test(evaluates, 'a not in {"x", "y"}', [[{}, true], [{ a: 'x' }, false], [{ a: 'z' }, true]]);
test(evaluates, 'a not in {}', [[{}, true], [{ a: 'x' }, true]]);
test(evaluates, '!has(a)', [[{}, true], [{ a: 'x' }, false]]);
test(evaluates, '!!has(a)', [[{}, false], [{ a: 'x' }, true]]);
test(evaluates, "!a == 'x'", [[{}, true], [{ a: 'x' }, false], [{ a: 'y' }, true]]);
test(evaluates, "a == 'x' && b == 'y'", [
  [{}, false],
  [{ a: 'x' }, false],
  [{ b: 'y' }, false],
  [{ a: 'x', b: 'y' }, true],
]);
test(evaluates, "a == 'x' || b == 'y'", [
  [{}, false],
  [{ a: 'x' }, true],
  [{ b: 'y' }, true],
  [{ a: 'x', b: 'y' }, true],
]);
test(evaluates, "a == 'x' || b == 'y' && c == 'z'", [
  [{ a: 'x' }, true],
  [{ b: 'y' }, false],
  [{ b: 'y', c: 'z' }, true],
  [{ a: 'x', c: 'q' }, true],
]);
test(evaluates, "(a == 'x' || b == 'y') && c == 'z'", [
  [{ a: 'x' }, false],
  [{ a: 'x', c: 'z' }, true],
  [{ b: 'y', c: 'z' }, true],
]);
test(evaluates, "a != 'a1' || b != 'b1'", [[{ a: 'a1', b: 'b1' }, false], [{ a: 'a1' }, true]]);
test(evaluates, '!(!has(a) || has(b))', [[{ a: 'a' }, true], [{ a: 'a', b: 'b' }, false], [{}, false]]);
test('inherited properties are not labels', evaluates, "has(constructor) || toString == 'x' || hasOwnProperty != 'y'", [
  [{}, true],
  [{ hasOwnProperty: 'y' }, false],
  [{ constructor: 'c', hasOwnProperty: 'y' }, true],
]);

// ---------------------------------------------------------------------------------------------
// selectorToString and round trips

test(roundTrips, '', 'all()');
test(roundTrips, ' (all() )', 'all()');
test(roundTrips, 'has( calico/k8s_ns )', 'has(calico/k8s_ns)');
test(roundTrips, "a=='x'", 'a == "x"');
test(roundTrips, `a!='"'`, `a != '"'`);
test(roundTrips, `a == "it's"`, `a == "it's"`);
test(roundTrips, `a in {'x',"y",}`, 'a in {"x", "y"}');
test(roundTrips, 'a in{ }', 'a in {}');
test(roundTrips, `a notin {'"', "'"}`, `a not in {'"', "'"}`);
test(roundTrips, '! has(a)', '!has(a)');
test(roundTrips, "!(a == 'b')", '!a == "b"');
test(roundTrips, '!!has(a)', '!!has(a)');
test(roundTrips, `! (has( b)||! has(a ))`, '!(has(b) || !has(a))');
test(roundTrips, `! (a == "b"&&! c != "d")`, '!(a == "b" && !c != "d")');
test(roundTrips, "a == 'x' || b == 'y' && c == 'z'", 'a == "x" || b == "y" && c == "z"');
test(roundTrips, "(a == 'x' || b == 'y') && c == 'z'", '(a == "x" || b == "y") && c == "z"');
test(roundTrips, 'has(a) && (has(b) && has(c))', 'has(a) && (has(b) && has(c))');
test(roundTrips, '(has(a) && has(b)) && has(c)', 'has(a) && has(b) && has(c)');
test(roundTrips, 'has(a) || (has(b) || has(c))', 'has(a) || (has(b) || has(c))');
test(roundTrips, 'has(a) || (has(b) && has(c))', 'has(a) || has(b) && has(c)');
test(roundTrips, '((has(a) || (has(b))) && ((all())))', '(has(a) || has(b)) && all()');
test(roundTrips, "projectcalico.org/namespace == 'default' && k8s_ns/label/app in {'web'}", 'projectcalico.org/namespace == "default" && k8s_ns/label/app in {"web"}');
test(roundTrips, "(profile1 == '') && !(role == 'x' || has(in))", 'profile1 == "" && !(role == "x" || has(in))');

test('selectorToString round-trips hand-built ASTs', (t) => {
  const nodes: SelectorNode[] = [
    and(has('a'), and(has('b'), has('c'))),
    or(has('a'), or(has('b'), has('c'))),
    and(or(has('a'), has('b')), or(has('c'), has('d'))),
    not(and(eq('a', 'x'), not(not(or(all, notIn('b')))))),
    or(and(not(has('a')), ne('b', '')), inSet('c', 'x', 'x')),
  ];
  for (const node of nodes) t.deepEqual(parseSelector(selectorToString(node)), node, selectorToString(node));
});

const unprintable = test.macro({
  exec(t, node: SelectorNode) {
    t.throws(() => selectorToString(node), { instanceOf: RangeError });
  },
  title: (provided) => `selectorToString rejects ${provided ?? ''}`,
});

test('a value with both quote characters', unprintable, eq('a', `'"`));
test('a set value with both quote characters', unprintable, inSet('a', 'ok', `'"`));
test('an empty key', unprintable, has(''));
test('a key with a blank', unprintable, and(all, eq('a b', 'x')));
test('a 513-character key', unprintable, has(key513));
test('key "in" left of an operator', unprintable, ne('in', 'x'));
test('key "notin.x" left of an operator', unprintable, notIn('notin.x'));

// ---------------------------------------------------------------------------------------------
// The tokenizer against upstream's regexes

/**
 * A reference tokenizer written from upstream's tokenizer.go: the same attempts in the same order,
 * with keywords and label keys matched by its regexes. `tokenizeSelector` matches the words
 * character by character; the two must agree on every input, errors included.
 */
function tokensByRegex(text: string): TokenTuple[] | 'error' {
  const space = '[\\t\\n\\f\\r ]*';
  const words: ReadonlyArray<readonly [RegExp, SelectorTokenKind]> = [
    [new RegExp(`has\\(${space}(${SELECTOR_LABEL_KEY_PATTERN})${space}\\)`, 'dy'), 'has'],
    [new RegExp(`not${space}in\\b`, 'y'), 'notin'],
    [/in\b/y, 'in'],
    [new RegExp(`all\\(${space}\\)`, 'y'), 'all'],
    [new RegExp(SELECTOR_LABEL_KEY_PATTERN, 'y'), 'label'],
  ];
  const single: Record<string, SelectorTokenKind> = { '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace', ',': 'comma' };
  const doubled: Record<string, SelectorTokenKind> = { '=': 'eq', '&': 'and', '|': 'or' };
  const out: TokenTuple[] = [];
  const push = (kind: SelectorTokenKind, start: number, end: number): number => {
    out.push([kind, text.slice(start, end), start, end]);
    return end;
  };
  let pos = 0;
  const skip = () => {
    while (text[pos] === ' ' || text[pos] === '\t') pos++;
  };
  for (skip(); pos < text.length; skip()) {
    const ch = text[pos]!;
    if (single[ch]) pos = push(single[ch], pos, pos + 1);
    else if (ch === '"' || ch === "'") {
      const close = text.indexOf(ch, pos + 1);
      if (close < 0) return 'error';
      pos = push('string', pos, close + 1);
    } else if (ch === '!') pos = text[pos + 1] === '=' ? push('ne', pos, pos + 2) : push('not', pos, pos + 1);
    else if (doubled[ch]) {
      if (text[pos + 1] !== ch) return 'error';
      pos = push(doubled[ch], pos, pos + 2);
    } else {
      const word = words.find(([re]) => ((re.lastIndex = pos), re.test(text)));
      if (!word) return 'error';
      const [re, kind] = word;
      re.lastIndex = pos;
      const m = re.exec(text)!;
      const end = pos + m[0].length;
      push(kind, pos, end);
      if (kind === 'has') push('label', m.indices![1]![0], m.indices![1]![1]);
      pos = end;
    }
  }
  return out;
}

function tokensOrError(text: string): TokenTuple[] | 'error' {
  try {
    return tokenizeSelector(text).map((tok) => [tok.kind, tok.text, tok.start, tok.end] as const);
  } catch (e) {
    if (e instanceof SelectorError) return 'error';
    throw e;
  }
}

test('the tokenizer reads keywords and label keys as upstream regexes do: edge cases', (t) => {
  const cases = [
    'has(a)', 'has( a )', 'has(\ta\n)', 'has(\r\fa\f\r)', 'has ( a )', 'has()', 'has( )', 'has(a b)', 'has(a', 'has(a))', `has(${key512})`, `has(${key513})`, `has( ${key512} )`,
    'has', 'hasx', 'has.x == "1"', 'not in {}', 'notin{}', 'not\n\tin {}', 'not inx', 'not in-x', 'not in.x', 'not in_', 'not', 'nota', 'no tin',
    'in', 'in{', 'in}', 'in-', 'in.', 'in/', 'inx', 'in_', 'in9', 'in é', 'all()', 'all( )', 'all(\n)', 'all (', 'all', 'allx', 'all(x)', 'all(',
    'a', 'a-b.c/d_e9', key512, key513, `${key512}in {}`, 'é', 'a é', 'a\u00a0b', '-', '.', '/', '_', '9', 'a==b', "a == 'b'", 'a in {"x",}',
  ];
  for (const c of cases) t.deepEqual(tokensOrError(c), tokensByRegex(c), JSON.stringify(c));
});

test('the tokenizer reads keywords and label keys as upstream regexes do: 50,000 generated selectors', (t) => {
  const parts = ['has(', 'has', 'not', 'in', 'all(', 'all', 'a', 'k', 'Z', '9', '_', '.', '/', '-', 'é', ' ', '\t', '\n', '\r', '\f', '\u00a0', '(', ')', '{', '}', ',', '!', '==', '!=', '&&', '||', '"x"', "'y'", 'k'.repeat(200)];
  // A fixed generator, so every run tries the same inputs.
  const next = seededRandom(0x5e1ec7);
  let mismatches = 0;
  let first = '';
  let errors = 0;
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    for (let n = 1 + Math.floor(next() * 8); n > 0; n--) s += parts[Math.floor(next() * parts.length)]!;
    const expected = tokensByRegex(s);
    if (expected === 'error') errors++;
    if (JSON.stringify(tokensOrError(s)) !== JSON.stringify(expected)) {
      mismatches++;
      first ||= s;
    }
  }
  t.is(mismatches, 0, `first mismatch: ${JSON.stringify(first)}`);
  // Both kinds of answer were tried many times.
  t.true(errors > 5_000 && errors < 45_000, `${errors} errors`);
});

// ---------------------------------------------------------------------------------------------
// renameSelectorLabels: several keys in one parse, the same answers as key after key

/** The reference: every key in order of first occurrence, renamed one after another. */
function renamedKeyByKey(text: string, rename: (key: string) => string | undefined): { text: string; renamed: [string, string][] } | string {
  try {
    let out = text;
    const renamed: [string, string][] = [];
    for (const key of new Set(selectorLabelKeys(text))) {
      const to = rename(key);
      if (to === undefined) continue;
      out = renameSelectorLabel(out, key, to);
      renamed.push([key, to]);
    }
    return { text: out, renamed };
  } catch (e) {
    if (e instanceof SelectorError) return `error: ${e.message}`;
    throw e;
  }
}

function renamedAtOnce(text: string, rename: (key: string) => string | undefined): { text: string; renamed: [string, string][] } | string {
  try {
    return renameSelectorLabels(text, rename);
  } catch (e) {
    if (e instanceof SelectorError) return `error: ${e.message}`;
    throw e;
  }
}

const byMap =
  (map: Readonly<Record<string, string>>) =>
  (key: string): string | undefined =>
    Object.hasOwn(map, key) ? map[key] : undefined;

const RENAMES: readonly [string, (key: string) => string | undefined][] = [
  ['namespace keys', (k) => (k === 'calico/k8s_ns' ? 'projectcalico.org/namespace' : k.startsWith('k8s_ns/label/') ? `pcns.${k.slice('k8s_ns/label/'.length)}` : undefined)],
  ['a chain (a to b, b to c)', byMap({ a: 'b', b: 'c' })],
  ['a chain written the other way (b to c, a to b)', byMap({ b: 'c', a: 'b', c: 'c' })],
  ['a key that cannot stand (a to "b c")', byMap({ a: 'b c', c: 'd' })],
  ['a keyword (c to in)', byMap({ c: 'in', a: 'e' })],
  ['the same key, and a swap', byMap({ a: 'a', b: 'c', c: 'b' })],
  ['a key too long', byMap({ b: 'q'.repeat(513) })],
  ['every key', (k) => `${k}.x`],
];

test('renameSelectorLabels gives what renaming key after key gives: texts, renames and errors of 20,000 generated selectors', (t) => {
  // A fixed generator, so every run tries the same inputs.
  const next = seededRandom(0x2e7a3e);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const keys = ['a', 'b', 'c', 'calico/k8s_ns', 'k8s_ns/label/app', 'in.x', 'has', 'all', 'notin.x'];
  const blank = (): string => pick(['', ' ', '  ', '\t']);
  const value = (): string => pick(["'x'", '"y"', "'calico/k8s_ns'", '"a && b"', "''"]);
  const expr = (depth: number): string => {
    const k = pick(keys);
    switch (Math.floor(next() * (depth > 3 ? 5 : 9))) {
      case 0:
        return `has(${blank()}${k}${blank()})`;
      case 1:
        return `${k}${blank()}==${blank()}${value()}`;
      case 2:
        return `${k}${blank()}!=${blank()}${value()}`;
      case 3:
        return `${k} ${pick(['in', 'not in', 'notin'])}${blank()}{${value()},${blank()}${value()}}`;
      case 4:
        return 'all()';
      case 5:
        return `!${blank()}${expr(depth + 1)}`;
      case 6:
        return `(${blank()}${expr(depth + 1)}${blank()})`;
      case 7:
        return `${expr(depth + 1)}${blank()}&&${blank()}${expr(depth + 1)}`;
      default:
        return `${expr(depth + 1)}${blank()}||${blank()}${expr(depth + 1)}`;
    }
  };
  const mismatches: string[] = [];
  const answers = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    // Most parse; one in ten is cut short, so that errors are compared too.
    let text = expr(0);
    if (i % 10 === 0) text = text.slice(0, Math.floor(next() * text.length));
    const [name, rename] = RENAMES[i % RENAMES.length]!;
    const expected = renamedKeyByKey(text, rename);
    const actual = renamedAtOnce(text, rename);
    answers.add(typeof expected === 'string' ? 'error' : expected.text === text ? 'unchanged' : 'renamed');
    if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(`${name}: ${JSON.stringify(text)}`);
  }
  t.deepEqual(mismatches.slice(0, 5), []);
  t.deepEqual([...answers].sort(), ['error', 'renamed', 'unchanged']);
});

test('renameSelectorLabels: renames in order of first occurrence, keys inside has() too, quoted text kept', (t) => {
  const rename = byMap({ 'calico/k8s_ns': 'projectcalico.org/namespace', 'k8s_ns/label/app': 'pcns.app' });
  t.deepEqual(renameSelectorLabels(`k8s_ns/label/app == 'calico/k8s_ns' && has( calico/k8s_ns ) || k8s_ns/label/app in {"x"}`, rename), {
    text: `pcns.app == 'calico/k8s_ns' && has( projectcalico.org/namespace ) || pcns.app in {"x"}`,
    renamed: [
      ['k8s_ns/label/app', 'pcns.app'],
      ['calico/k8s_ns', 'projectcalico.org/namespace'],
    ],
  });
  t.deepEqual(renameSelectorLabels("a == 'x'", rename), { text: "a == 'x'", renamed: [] });
  const error = t.throws(() => renameSelectorLabels("has(a) && a == 'x'", byMap({ a: 'b c' })), { instanceOf: SelectorError });
  t.regex(error.message, /cannot rename label key "a" to "b c"/);
});
