/**
 * A direct YAML writer for JSON-shaped data (maps, sequences, strings, numbers, booleans, null),
 * producing exactly the text the `yaml` library produces with the options `serialize` uses (YAML 1.1
 * quoting, no line folding, block style, sequences indented under their key, keys in the order of
 * `sortKeys`). It writes strings straight to the output instead of building a document tree first,
 * which at 20,000 objects is the difference between seconds and a tenth of that.
 *
 * Most strings are names, labels, selectors and addresses: a printable ASCII string that starts with
 * a letter, has no `: ` or ` #`, does not end with a space or colon, and is not a YAML 1.1 boolean or
 * null word, or an address or network (below), is written plain, as the library writes it. Any other string or number is rendered once by the
 * library itself in the same position (map value, sequence item, or key) and remembered. What the
 * writer does not handle (a string that renders on several lines, an explicit key, a value that is
 * not JSON-shaped) makes `toYaml` return undefined, and the caller uses the library for the document.
 */
import YAML from 'yaml';
import { orderedKeys } from './order.js';
import { remembered } from '../util.js';

/** The `yaml` library options every YAML output of the tool uses. */
export const YAML_OPTIONS = { version: '1.1', lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false } as const;

class Unhandled extends Error {}

const BOOL_OR_NULL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;
/**
 * Addresses and networks: a string starting with a digit is plain when it holds a `/` or at least two
 * dots among digits only, which no YAML 1.1 number, sexagesimal or timestamp form can hold.
 */
const PLAIN_NETWORK = /^[0-9](?:[0-9.]*\.[0-9]*\.[0-9.]*|[\x21-\x7e]*\/[\x21-\x7e]*)$/;
/**
 * Ids (container ids, hashes): digits and letters only, starting with a digit, holding a letter, not
 * `0` and a base letter (`0x1f`, `0b1`, `0o7`), and not digits, `e` and digits (`1e5`): no YAML 1.1
 * number.
 */
const PLAIN_ID = /^(?![0-9]+[eE][0-9]+$)(?!0[xXbBoO])[0-9]+[a-zA-Z][0-9a-zA-Z]*$/;

/** Digits only (a label value such as a pod-template-hash): a YAML 1.1 integer, so the library double-quotes it everywhere. */
const DIGITS = /^[0-9]{1,100}$/;

/** A string's text when no library call is needed: plain, or a digit-only string double-quoted. */
function direct(s: string): string | undefined {
  return plain(s) ? s : DIGITS.test(s) ? `"${s}"` : undefined;
}

function plain(s: string): boolean {
  if (s.length > 1000) return false;
  // The rules below are for strings starting with a letter, or with a digit: nothing else is plain here.
  const first = s.charCodeAt(0);
  if (first >= 48 && first <= 57) return PLAIN_NETWORK.test(s) ? !s.endsWith(':') : PLAIN_ID.test(s);
  return plainFromLetter(s) && (s.length > 5 || !BOOL_OR_NULL.test(s));
}

/**
 * A string starting with a letter is plain when it is printable ASCII (`/^[A-Za-z][\x20-\x7e]*$/`)
 * with no `: ` or ` #` and no space or colon at its end (`/: | #|[ :]$/`), checked in one pass.
 */
function plainFromLetter(s: string): boolean {
  const first = s.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return false;
  const last = s.length - 1;
  for (let i = 1; i <= last; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
    if (c === 0x20 && (i === last || s.charCodeAt(i + 1) === 0x23)) return false;
    if (c === 0x3a && (i === last || s.charCodeAt(i + 1) === 0x20)) return false;
  }
  return true;
}

type Position = 'value' | 'item' | 'key';
const rendered: Record<Position, Map<string | number, string>> = { value: new Map(), item: new Map(), key: new Map() };

/** The library's rendering of one scalar in a position, or Unhandled when it is not one plain line. */
function byLibrary(v: string | number, where: Position): string {
  const memo = rendered[where];
  const known = memo.get(v);
  if (known !== undefined) return known;
  let text: string;
  if (where === 'value') {
    const out = YAML.stringify({ k: v }, YAML_OPTIONS);
    if (!out.startsWith('k: ') || out.indexOf('\n') !== out.length - 1) throw new Unhandled();
    text = out.slice(3, -1);
  } else if (where === 'item') {
    const out = YAML.stringify([v], YAML_OPTIONS);
    if (!out.startsWith('- ') || out.indexOf('\n') !== out.length - 1) throw new Unhandled();
    text = out.slice(2, -1);
  } else {
    const out = YAML.stringify({ [v]: 0 }, YAML_OPTIONS);
    if (!out.endsWith(': 0\n') || out.indexOf('\n') !== out.length - 1 || out.startsWith('? ')) throw new Unhandled();
    text = out.slice(0, -4);
  }
  if (memo.size > 500_000) memo.clear();
  memo.set(v, text);
  return text;
}

function scalar(v: unknown, where: Position): string | undefined {
  switch (typeof v) {
    case 'string':
      return direct(v) ?? byLibrary(v, where);
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : byLibrary(v, where);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return v === null ? 'null' : undefined;
    default:
      throw new Unhandled();
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw new Unhandled();
  return true;
}

/** Keys as written, with their colon: the same few keys (field names, label keys) come back in every object. */
const keyText = remembered((k: string) => `${direct(k) ?? byLibrary(k, 'key')}:`);

/** A search V8 runs on a flat subject: it makes a joined-up string flat in place (the text is unchanged). */
const FLATTEN = /\0/;

/**
 * The text, in flat pieces of about 16 KiB. Strings joined one by one make a tree of small nodes,
 * which is fine for one object's document; a List of tens of thousands of objects would keep
 * millions of them until the end (garbage collection copying them all), so each piece is made
 * flat as soon as it is full, and its nodes are dropped young (List of 21,793 policies: 460 to
 * 150 ms).
 */
class Writer {
  private readonly parts: string[] = [];
  private pending = '';

  private push(s: string): void {
    this.pending += s;
    if (this.pending.length > 16384) {
      // Run for the flattening alone: its answer is not used.
      FLATTEN.test(this.pending);
      this.parts.push(this.pending);
      this.pending = '';
    }
  }

  text(): string {
    this.parts.push(this.pending);
    this.pending = '';
    return this.parts.join('');
  }

  /** A value after `key:` or `-` (the separator written by the caller), then its lines. */
  private nested(v: unknown, indent: string, where: 'value' | 'item'): void {
    const s = scalar(v, where);
    if (s !== undefined) return this.push(` ${s}\n`);
    if (Array.isArray(v)) {
      if (v.length === 0) return this.push(' []\n');
      if (where === 'value') {
        this.push('\n');
        return this.seq(v, indent + '  ', indent + '  ');
      }
      this.push(' ');
      return this.seq(v, indent + '  ', '');
    }
    if (!isMap(v)) throw new Unhandled();
    const keys = orderedKeys(v);
    if (keys.length === 0) return this.push(' {}\n');
    if (where === 'value') {
      this.push('\n');
      return this.map(v, keys, indent + '  ', indent + '  ');
    }
    this.push(' ');
    this.map(v, keys, indent + '  ', '');
  }

  map(obj: Record<string, unknown>, keys: readonly string[], indent: string, first: string): void {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      this.push(i === 0 ? first : indent);
      this.push(keyText(k));
      this.nested(obj[k], indent, 'value');
    }
  }

  seq(arr: readonly unknown[], indent: string, first: string): void {
    for (let i = 0; i < arr.length; i++) {
      const item = arr[i];
      if (item === undefined) throw new Unhandled();
      this.push(`${i === 0 ? first : indent}-`);
      this.nested(item, indent, 'item');
    }
  }
}

/** The YAML document of a non-empty map, as the library writes it; undefined when it must write it. */
export function toYaml(value: unknown): string | undefined {
  try {
    if (!isMap(value)) return undefined;
    const keys = orderedKeys(value);
    if (keys.length === 0) return undefined;
    const w = new Writer();
    w.map(value, keys, '', '');
    return w.text();
  } catch (e) {
    if (e instanceof Unhandled) return undefined;
    throw e;
  }
}
