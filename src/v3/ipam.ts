/**
 * Calico IPAM as the v3 etcd datastore keeps it. IPAM data is not a calicoctl resource: it is three
 * kinds of keys under `/calico/ipam/v2/` (the same layout as v2.x, which is why calico-upgrade
 * copied them with only the host names changed):
 *
 * - allocation blocks `/calico/ipam/v2/assignment/ipv4|ipv6/block/<net>-<prefix>`, the block JSON;
 * - handles `/calico/ipam/v2/handle/<id>`, `{"block":{"<cidr>":<count>}}`;
 * - host affinities `/calico/ipam/v2/host/<node>/ipv4|ipv6/block/<net>-<prefix>`, `{"state":"confirmed"}`.
 *
 * The conversion carries each as a target object of a kind of its own under `IPAM_API_VERSION`, which
 * says it is a datastore key rather than a resource. The object's name (and, for an affinity, its
 * node in place of a namespace) is what the key is made of; its spec is the stored value. Pure.
 */
import { CalicoMigrateError } from '../errors.js';
import type { TargetObject } from '../model/target.js';
import { cidrSegment, formatCidr, parseCidr, parseCidrSegment, type Cidr } from '../net.js';
import { inPieces } from '../output/pieces.js';

export const IPAM_API_VERSION = 'ipam.calico-migrate/v2';
export const IPAM_PREFIX = '/calico/ipam/v2/';
/** Apply order: handles before the blocks whose allocations name them, affinities last. */
export const IPAM_KINDS = ['IPAMHandle', 'IPAMBlock', 'BlockAffinity'] as const;
export type IpamKind = (typeof IPAM_KINDS)[number];

export function isIpamObject(o: Pick<TargetObject, 'apiVersion'>): boolean {
  return o.apiVersion === IPAM_API_VERSION;
}

function family(cidr: Cidr): 'ipv4' | 'ipv6' {
  return cidr.ip.family === 4 ? 'ipv4' : 'ipv6';
}

export function blockObject(cidr: Cidr, value: Record<string, unknown>): TargetObject {
  return { apiVersion: IPAM_API_VERSION, kind: 'IPAMBlock', metadata: { name: cidrSegment(cidr) }, spec: value };
}

export function handleObject(id: string, value: Record<string, unknown>): TargetObject {
  return { apiVersion: IPAM_API_VERSION, kind: 'IPAMHandle', metadata: { name: id }, spec: value };
}

/** A host affinity: named by its block, under its node as a namespace (`BlockAffinity/<node>/<net>-<prefix>`). */
export function affinityObject(node: string, cidr: Cidr, state = 'confirmed'): TargetObject {
  return { apiVersion: IPAM_API_VERSION, kind: 'BlockAffinity', metadata: { name: cidrSegment(cidr), namespace: node }, spec: { state } };
}

function nameCidr(o: Pick<TargetObject, 'kind' | 'metadata'>): Cidr {
  const seg = o.metadata.name;
  const c = parseCidrSegment(seg);
  if (!c || cidrSegment(c) !== seg) throw new CalicoMigrateError('E_USAGE', `${o.kind} name ${JSON.stringify(seg)} is not a CIDR written with "-"`);
  return c;
}

/** The etcd key of an IPAM object, from its kind, name and (for an affinity) node. */
export function ipamKeyOf(o: Pick<TargetObject, 'kind' | 'metadata'>): string {
  switch (o.kind) {
    case 'IPAMBlock': {
      const c = nameCidr(o);
      return `${IPAM_PREFIX}assignment/${family(c)}/block/${cidrSegment(c)}`;
    }
    case 'IPAMHandle':
      return `${IPAM_PREFIX}handle/${o.metadata.name}`;
    case 'BlockAffinity': {
      const c = nameCidr(o);
      const node = o.metadata.namespace;
      if (!node) throw new CalicoMigrateError('E_USAGE', `BlockAffinity/${o.metadata.name} names no node`);
      return `${IPAM_PREFIX}host/${node}/${family(c)}/block/${cidrSegment(c)}`;
    }
    default:
      throw new CalicoMigrateError('E_USAGE', `${o.kind} is not a Calico IPAM kind`);
  }
}

/** What keeps an IPAM object from being written: a key that cannot be made, or a handle id that is not one key segment. */
export function validateIpamObject(o: TargetObject): string[] {
  try {
    ipamKeyOf(o);
  } catch (e) {
    return [(e as Error).message];
  }
  if (o.kind === 'IPAMHandle' && (o.metadata.name === '' || o.metadata.name.includes('/'))) return [`the handle id ${JSON.stringify(o.metadata.name)} is not one key segment`];
  if (o.kind === 'IPAMBlock' && o.spec?.['cidr'] !== formatCidr(nameCidr(o))) return [`spec.cidr ${JSON.stringify(o.spec?.['cidr'])} is not the block's ${formatCidr(nameCidr(o))}`];
  if (o.kind === 'BlockAffinity' && (o.metadata.namespace ?? '').includes('/')) return [`the node name ${JSON.stringify(o.metadata.namespace)} is not one key segment`];
  return [];
}

/** The stored value of an IPAM object (metadata is not stored: the key is its identity). */
export function ipamValueOf(o: TargetObject): string {
  ipamKeyOf(o);
  return JSON.stringify(o.spec ?? {});
}

function parseJson(key: string, value: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch (e) {
    throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value is not JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value is not a JSON object`);
  return v as Record<string, unknown>;
}

function keyCidr(key: string, segment: string | undefined, fam: string | undefined): Cidr {
  const c = segment ? parseCidrSegment(segment) : undefined;
  if (!c || family(c) !== fam) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: ${JSON.stringify(segment)} is not an ${fam ?? 'IP'} CIDR written with "-"`);
  return c;
}

/**
 * An IPAM key and value read back as the object that writes them, or undefined for a key under
 * the IPAM prefix that is not a block, handle or affinity (the IPAM configuration, say). Throws,
 * naming the key, for a damaged one.
 */
export function parseIpamStored(key: string, value: string): TargetObject | undefined {
  if (!key.startsWith(IPAM_PREFIX)) return undefined;
  const p = key.slice(IPAM_PREFIX.length).split('/');
  if (p[0] === 'handle' && p.length === 2 && p[1]) return handleObject(p[1], parseJson(key, value));
  if (p[0] === 'assignment' && p[2] === 'block' && p.length === 4) {
    const c = keyCidr(key, p[3], p[1]);
    const v = parseJson(key, value);
    if (typeof v['cidr'] !== 'string' || parseCidr(v['cidr']) === undefined || formatCidr(parseCidr(v['cidr']) as Cidr) !== formatCidr(c)) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value's cidr ${JSON.stringify(v['cidr'])} is not the key's ${formatCidr(c)}`);
    return blockObject(c, v);
  }
  if (p[0] === 'host' && p[3] === 'block' && p.length === 5 && p[1]) {
    const c = keyCidr(key, p[4], p[2]);
    // An empty value is what older Calico wrote; Calico v3 reads it as no state.
    const v = value === '' ? {} : parseJson(key, value);
    return { ...affinityObject(p[1], c), spec: v };
  }
  return undefined;
}

/** IPAM objects as the keys and values they are stored as, one JSON `{"key","value"}` per line, in apply order. */
export function ipamKeyLines(objects: readonly TargetObject[]): string {
  return [...ipamKeyPieces(objects)].join('');
}

/** The text of `ipamKeyLines` in pieces of about 64 KiB, for writing a large keyspace's IPAM without holding it all. */
export function ipamKeyPieces(objects: readonly TargetObject[]): Generator<string> {
  return inPieces(keyLines(objects));
}

function* keyLines(objects: readonly TargetObject[]): Generator<string> {
  // The key is made once (ipamValueOf would make it again, to check it can be).
  for (const o of objects) yield `${JSON.stringify({ key: ipamKeyOf(o), value: JSON.stringify(o.spec ?? {}) })}\n`;
}
