/** Label selectors (equality- and set-based) and field selectors, as list requests use them. */
import { badRequest } from './status.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** A parsed label selector; `matches` tests a label map. */
export interface LabelSelector {
  empty: boolean;
  matches(labels: Record<string, string>): boolean;
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. A parse failure is a 400. */
export function parseLabelSelector(text: string | null): LabelSelector {
  const source = (text ?? '').trim();
  if (source === '') return { empty: true, matches: () => true };
  const reqs = splitTop(source).map((part) => parseRequirement(part.trim(), source));
  return { empty: false, matches: (labels) => reqs.every((r) => requirementMatches(r, labels)) };
}

function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;

function parseRequirement(part: string, source: string): Requirement {
  let m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(part);
  if (m) return { op: m[3] === '!=' ? 'neq' : 'eq', key: m[1] ?? '', value: m[4] ?? '' };
  m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(part);
  if (m) {
    const values = (m[4] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { op: m[3] === 'in' ? 'in' : 'notin', key: m[1] ?? '', values };
  }
  m = new RegExp(`^(!?)\\s*(${KEY})$`).exec(part);
  if (m) return { op: m[1] === '!' ? 'notexists' : 'exists', key: m[2] ?? '' };
  throw badRequest(`unable to parse requirement: found '${part}' in selector "${source}"`);
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      return !has || value !== r.value;
    case 'in':
      return has && value !== undefined && r.values.includes(value);
    case 'notin':
      return !has || value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** A parsed field selector: `field=value`, `field==value`, `field!=value`, comma = AND. */
export interface FieldSelector {
  empty: boolean;
  terms: { field: string; value: string; negate: boolean }[];
}

/** Parses a field selector and checks each field against the supported ones (400 otherwise). */
export function parseFieldSelector(text: string | null, supported: readonly string[]): FieldSelector {
  const source = (text ?? '').trim();
  if (source === '') return { empty: true, terms: [] };
  const terms = source.split(',').map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!m) throw badRequest(`invalid selector: '${source}'; can't understand '${part}'`);
    return { field: m[1] ?? '', value: m[3] ?? '', negate: m[2] === '!=' };
  });
  for (const term of terms) if (!supported.includes(term.field)) throw badRequest(`field label not supported: ${term.field}`);
  return { empty: false, terms };
}

/** True when every term holds; `read` gives an object's value of a field. */
export function fieldSelectorMatches(selector: FieldSelector, read: (field: string) => string): boolean {
  return selector.terms.every((t) => (read(t.field) === t.value) !== t.negate);
}
