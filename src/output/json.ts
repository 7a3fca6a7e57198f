/**
 * Sorted, indented JSON written in pieces: exactly `JSON.stringify(sortKeys(value), null, 2)`, but
 * the outer levels (a report's records, a List's items) are walked here and each element is sorted
 * and stringified on its own, so no sorted copy of the whole value is ever held, and a file gets
 * the text a piece at a time.
 */
import { orderedKeys, sortKeys } from './order.js';

/** Levels walked here before elements are stringified whole. */
const WALKED_DEPTH = 2;
const PIECE = 1 << 16;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

function whole(v: unknown, indent: string): string {
  const text = JSON.stringify(sortKeys(v), null, 2) ?? 'null';
  return indent === '' || !text.includes('\n') ? text : text.replace(/\n/g, `\n${indent}`);
}

function* walk(v: unknown, indent: string, depth: number): Generator<string> {
  if (depth >= WALKED_DEPTH || !(Array.isArray(v) || isPlainObject(v)) || (v as { toJSON?: unknown }).toJSON !== undefined) {
    yield whole(v, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < v.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      const item = v[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* walk(item, inner, depth + 1);
    }
    return yield `\n${indent}]`;
  }
  const keys = orderedKeys(v).filter((k) => typeof v[k] !== 'function' && typeof v[k] !== 'symbol');
  if (keys.length === 0) return yield '{}';
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
    yield* walk(v[k], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** The text of `JSON.stringify(sortKeys(value), null, 2)` and a newline, in pieces of about 64 KiB. */
export function* jsonPieces(value: unknown): Generator<string> {
  let buf = '';
  for (const s of walk(value, '', 0)) {
    buf += s;
    if (buf.length >= PIECE) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}\n`;
}
