/**
 * Name encodings used by Calico across versions, and Kubernetes name validation.
 *
 * - etcd path segments for policy, profile, host and workload endpoint ids are escaped:
 *   `%` → `%25`, then `/` → `%2f` (libcalico-go v1.5 `model/name.go`).
 * - v2.4 Kubernetes datastore names for IPs and CIDRs use Go's compressed IPv6 form with `.`, `:`
 *   and `/` replaced by `-`; v2.5 (libcalico-go v1.6) fully expands IPv6 in IP names, because a
 *   compressed address ending in `::` gave a name ending in `--`, which Kubernetes rejects.
 *   CIDR names stay compressed in every version.
 * - Calico v3 normalises names to DNS-1123 and, when that changed the name, appends the first
 *   8 hex digits of SHA-1 of the original (libcalico-go `lib/upgrade/converters/names.go`).
 */
import { hash } from 'node:crypto';
import { expandIPv6, formatIp, parseCidr, parseIp, type Cidr, type Ip } from './net.js';
import { remembered } from './util.js';

/** Reverses the etcd path escaping of names (`%2f` → `/`, then `%25` → `%`). */
export function unescapeName(segment: string): string {
  return segment.includes('%') ? segment.replace(/%2f/gi, '/').replace(/%25/g, '%') : segment;
}

/** v2.4 Kubernetes datastore IP name: compressed form, `.` and `:` → `-`. */
export function ipToNameV24(ip: Ip): string {
  return formatIp(ip).replace(/[.:]/g, '-');
}

/** v2.5+ IP name: IPv4 dashed, IPv6 fully expanded (`2001-0db8-0000-...-0001`). */
export function ipToNameV25(ip: Ip): string {
  return ip.family === 4 ? formatIp(ip).replace(/\./g, '-') : expandIPv6(ip).replace(/:/g, '-');
}

/** CIDR name (all versions): compressed address, `.`, `:` and `/` → `-`. */
export function cidrToName(cidr: Cidr): string {
  return `${formatIp(cidr.ip)}/${cidr.prefix}`.replace(/[.:/]/g, '-');
}

/** Reads an IP back from a v2.4 or v2.5 name (both IPv6 forms are accepted, as libcalico-go does). */
export function nameToIp(name: string): Ip | undefined {
  const dashes = (name.match(/-/g) ?? []).length;
  const text = name.includes('--') || dashes > 3 ? name.replace(/-/g, ':') : name.replace(/-/g, '.');
  return parseIp(text);
}

/** Reads a CIDR back from its name: the prefix length follows the last `-`. */
export function nameToCidr(name: string): Cidr | undefined {
  const cut = name.lastIndexOf('-');
  if (cut <= 0) return undefined;
  const ip = nameToIp(name.slice(0, cut));
  if (!ip) return undefined;
  return parseCidr(`${formatIp(ip)}/${name.slice(cut + 1)}`);
}

/**
 * Calico v3 `normalizeName`: lowercase; `/` → `.`; runs of characters outside `[-.a-z0-9]` → `-`;
 * runs of `.`/`-` containing a `.` → `.`; leading and trailing `.`/`-` stripped.
 * Host, orchestrator and interface names come back once per endpoint: each is worked out once.
 */
export const normalizeName: (name: string) => string = remembered(normalizeUncached);

function normalizeUncached(name: string): string {
  return name
    // Go's ToLower maps U+0130 (İ) to a plain "i"; JavaScript adds a combining dot.
    .replace(/\u0130/g, 'i')
    .toLowerCase()
    .replace(/\//g, '.')
    .replace(/[^-.a-z0-9]+/g, '-')
    .replace(/[-.]*\.[-.]*/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
}

/** First 8 lowercase hex digits of SHA-1 over the UTF-8 bytes of `text`. */
export function shortHash(text: string): string {
  // The one-shot hash: several times cheaper than a Hash object for a short name.
  return hash('sha1', text, 'hex').slice(0, 8);
}

/** Calico v3 `convertName`: normalise, and qualify with a hash of the original when that changed it. */
export function convertName(name: string): string {
  const normalized = normalizeName(name);
  return normalized === name ? name : `${normalized}-${shortHash(name)}`;
}

/** Calico v3 `convertNameNoDots` (policies): as convertName, with `.` → `-`. */
export function convertNameNoDots(name: string): string {
  const normalized = normalizeName(name).replace(/\./g, '-');
  return normalized === name ? name : `${normalized}-${shortHash(name)}`;
}

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);

/** Kubernetes object name rule for most kinds (DNS-1123 subdomain, at most 253 characters). */
export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN_RE.test(name);
}

/** DNS-1123 label, at most 63 characters. */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL_RE.test(name);
}

/**
 * Kubernetes qualified name (label and annotation keys): optional `prefix/` plus a 63-character name.
 * Label keys recur in every object that carries labels: each is judged once.
 */
export const isQualifiedName: (key: string) => boolean = remembered(judgeQualifiedName);

function judgeQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2 && !isDns1123Subdomain(parts[0] ?? '')) return false;
  return name.length > 0 && name.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name);
}

/**
 * The v3 WorkloadEndpoint name (libcalico-go `lib/names/workloadendpoint.go`):
 * k8s `<node>-k8s-<pod>-<endpoint>`, cni `<node>-cni-<containerID>-<endpoint>`, libnetwork
 * `<node>-libnetwork-libnetwork-<endpoint>`, others `<node>-<orchestrator>-<workload>-<endpoint>`.
 * Dashes inside a segment are doubled; a segment may not be empty or start or end with a dash.
 * Returns the name, or the problem.
 */
export function workloadEndpointName(ids: {
  readonly node: string;
  readonly orchestrator: string;
  readonly endpoint: string;
  readonly workload?: string | undefined;
  readonly pod?: string | undefined;
  readonly containerID?: string | undefined;
}): { name: string } | { problem: string } {
  const middle: [string, string | undefined] =
    ids.orchestrator === 'k8s' ? ['pod', ids.pod] : ids.orchestrator === 'cni' ? ['containerID', ids.containerID] : ids.orchestrator === 'libnetwork' ? ['orchestrator', ids.orchestrator] : ['workload', ids.workload];
  const segments: [string, string | undefined][] = [['node', ids.node], ['orchestrator', ids.orchestrator], middle, ['endpoint', ids.endpoint]];
  const parts: string[] = [];
  for (const [field, value] of segments) {
    if (!value) return { problem: `${field} must be set to build the workload endpoint name` };
    if (value.startsWith('-') || value.endsWith('-')) return { problem: `${field} ${JSON.stringify(value)} must not begin or end with '-'` };
    parts.push(value.replace(/-/g, '--'));
  }
  return { name: parts.join('-') };
}
