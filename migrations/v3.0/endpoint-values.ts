/** Readers for the loosely typed endpoint values, and profile renaming, shared by v3.0 steps. */
import { convertName } from '../../src/names.js';

export function stringMap(v: unknown, field: string, problems: string[]): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) return v as Record<string, string>;
  problems.push(`${field} must map strings to strings`);
  return undefined;
}

export function stringList(v: unknown, field: string, problems: string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  problems.push(`${field} must be a list of strings`);
  return undefined;
}

/** Upstream convertProfileName: a `k8s_ns.` prefix becomes `kns.`, then convertName. */
export function convertProfileName(name: string): string {
  return convertName(name.startsWith('k8s_ns.') ? `kns.${name.slice('k8s_ns.'.length)}` : name);
}
