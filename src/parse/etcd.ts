/**
 * etcd keys (v2 or v3 keyspace, same paths) → v2.4 model items. One key is one record. Paths and
 * value formats follow §1 of the data model (libcalico-go v1.5 `lib/backend/model`).
 */
import type { RawEtcdRecord } from '../input/dump.js';
import { formatCidr, parseCidr, parseCidrSegment, parseIp, sameIp, type Cidr } from '../net.js';
import { unescapeName } from '../names.js';
import { remembered } from '../util.js';
import type { BgpGlobalName, ItemBase, V1IpamBlock, V1Item } from '../model/v1.js';
import {
  ValueError,
  parseAsNumber,
  parseBackendPolicy,
  parseCidrField,
  parseJsonObject,
  parseJsonValue,
  parseNodeMesh,
  parsePoolValue,
  parseHostEndpointValue,
  parseHostMetadata,
  parseOrchRefs,
  parseProfileRules,
  parseWorkloadEndpointValue,
  warnUnknownFields,
  type NoteSink,
} from './values.js';

/** The fields an item has besides its base. */
type ItemFields = V1Item extends infer I ? (I extends unknown ? Omit<I, keyof ItemBase> : never) : never;

/**
 * An item: its base, then its fields. Written out rather than as `{ ...base, type, … }`: V8 adds
 * each property after a spread on a slow path, and this runs for every record of the keyspace.
 */
function withBase(base: ItemBase, fields: ItemFields): V1Item {
  return Object.assign({ origin: base.origin, file: base.file, store: base.store }, fields) as V1Item;
}

/** A CIDR from a key path segment (`10.0.0.0-8`, `fd80::-64`): the last `-` was the `/`. */
function cidrFromSegment(segment: string, key: string): Cidr {
  const c = parseCidrSegment(segment);
  if (!c) throw new ValueError(`key segment ${JSON.stringify(segment)} is not a CIDR with "/" written as "-" (key ${key})`, 'invalid-key');
  return c;
}

function ipFromSegment(segment: string, family: 4 | 6) {
  const ip = parseIp(segment);
  if (!ip || ip.family !== family) throw new ValueError(`key segment ${JSON.stringify(segment)} is not an IPv${family} address`, 'invalid-key');
  return ip;
}

function checkCidrMatchesKey(valueCidr: Cidr, keyCidr: Cidr): void {
  if (formatCidr(valueCidr) !== formatCidr(keyCidr)) {
    throw new ValueError(`value cidr ${formatCidr(valueCidr)} does not match the cidr in the key (${formatCidr(keyCidr)})`);
  }
}

function familyOf(segment: string): 4 | 6 | undefined {
  return segment === 'v4' || segment === 'ipv4' ? 4 : segment === 'v6' || segment === 'ipv6' ? 6 : undefined;
}

const BGP_GLOBAL: Readonly<Record<string, BgpGlobalName>> = { as_num: 'AsNumber', loglevel: 'LogLevel', node_mesh: 'NodeMeshEnabled' };

function peer(base: ItemBase, value: string, keyIp: string, family: 4 | 6, node: string | undefined, note: NoteSink): V1Item {
  const ip = ipFromSegment(keyIp, family);
  const v = parseJsonObject(value, 'BGP peer value');
  const valueIp = typeof v['ip'] === 'string' ? parseIp(v['ip']) : undefined;
  if (!valueIp) throw new ValueError(`BGP peer value field "ip" ${JSON.stringify(v['ip'])} is not an IP address`);
  if (!sameIp(ip, valueIp)) throw new ValueError(`BGP peer value ip ${String(v['ip'])} does not match the ip in the key (${keyIp})`);
  warnUnknownFields(v, ['ip', 'as_num'], '', note);
  const asNumber = parseAsNumber(v['as_num'], 'BGP peer field "as_num"');
  return node === undefined
    ? withBase(base, { type: 'bgp-global-peer', ip, asNumber, asRaw: String(v['as_num']) })
    : withBase(base, { type: 'bgp-node-peer', node, ip, asNumber, asRaw: String(v['as_num']) });
}

function parseV1Key(base: ItemBase, p: readonly string[], value: string, note: NoteSink): V1Item | undefined {
  // p: path segments after /calico/v1
  const a = p[0], b = p[1], c = p[2], d = p[3], e = p[4], f = p[5], g = p[6];
  if (a === 'Ready' && p.length === 1) return withBase(base, { type: 'ready-flag', value });
  if (a === 'config' && p.length === 2 && b) return withBase(base, { type: 'felix-global-config', name: b, value });
  if (a === 'host' && b) {
    const host = b;
    if (c === 'config' && p.length === 4 && d) {
      if (d.toLowerCase() === 'ipiniptunneladdr') {
        const ip = parseIp(value.trim());
        return withBase(base, { type: 'node-tunnel-address', host, name: d, value, ...(ip ? { ip } : {}) });
      }
      return withBase(base, { type: 'felix-host-config', host, name: d, value });
    }
    if (c === 'metadata' && p.length === 3) {
      parseHostMetadata(value, note);
      return withBase(base, { type: 'node-marker', host, field: c, value });
    }
    if (c === 'orchestrator_refs' && p.length === 3) return withBase(base, { type: 'node-marker', host, field: c, value, orchRefs: parseOrchRefs(value, note) });
    if (c === 'bird_ip' && p.length === 3) return withBase(base, { type: 'node-marker', host, field: c, value });
    if (c === 'endpoint' && p.length === 4 && d) {
      return withBase(base, { type: 'host-endpoint', host, endpoint: unescapeName(d), value: parseHostEndpointValue(parseJsonObject(value, 'host endpoint value'), note) });
    }
    if (c === 'workload' && p.length === 7 && d && e && f === 'endpoint' && g) {
      return withBase(base, {
        type: 'workload-endpoint',
        host,
        orchestrator: unescapeName(d),
        workload: unescapeName(e),
        endpoint: unescapeName(g),
        value: parseWorkloadEndpointValue(parseJsonObject(value, 'workload endpoint value'), note),
      });
    }
    return undefined;
  }
  if (a === 'policy' && b === 'profile' && c && p.length === 4 && (d === 'tags' || d === 'labels' || d === 'rules')) {
    const profile = unescapeName(c);
    if (d === 'tags') {
      const tags = parseJsonValue(value, 'profile tags');
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw new ValueError('profile tags value must be a JSON list of strings');
      return withBase(base, { type: 'profile-part', profile, part: d, value: tags });
    }
    if (d === 'labels') {
      const labels = parseJsonObject(value, 'profile labels');
      if (!Object.values(labels).every((v) => typeof v === 'string')) throw new ValueError('profile labels value must map strings to strings');
      return withBase(base, { type: 'profile-part', profile, part: d, value: labels });
    }
    return withBase(base, { type: 'profile-part', profile, part: d, value: parseProfileRules(parseJsonObject(value, 'profile rules'), note) });
  }
  if (a === 'policy' && b === 'tier' && c) {
    const tier = unescapeName(c);
    if (d === 'metadata' && p.length === 4) return withBase(base, { type: 'tier-metadata', tier, value });
    if (d === 'policy' && e && p.length === 5) {
      const parsed = parseBackendPolicy(parseJsonObject(value, 'policy value'), 'policy', note);
      return withBase(base, {
        type: 'policy',
        name: unescapeName(e),
        tier,
        kind: 'etcd-policy',
        spec: parsed.spec,
        ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      });
    }
    return undefined;
  }
  if (a === 'ipam' && b && c === 'pool' && d && p.length === 4 && familyOf(b)) {
    const keyCidr = cidrFromSegment(d, base.origin);
    if (keyCidr.ip.family !== familyOf(b)) throw new ValueError(`pool ${formatCidr(keyCidr)} is stored under ${b}`, 'invalid-key');
    const pool = parsePoolValue(parseJsonObject(value, 'IP pool value'), 'IP pool value', note);
    checkCidrMatchesKey(pool.cidr, keyCidr);
    return withBase(base, { type: 'ip-pool', pool });
  }
  return undefined;
}

function parseBgpKey(base: ItemBase, p: readonly string[], value: string, note: NoteSink): V1Item | undefined {
  // p: path segments after /calico/bgp/v1
  const a = p[0], b = p[1], c = p[2], d = p[3];
  if (a === 'global') {
    const name = b !== undefined && Object.hasOwn(BGP_GLOBAL, b) ? BGP_GLOBAL[b] : undefined;
    if (b && p.length === 2 && name) {
      if (name === 'AsNumber') return withBase(base, { type: 'bgp-global-config', name, storedName: b, value, asNumber: parseAsNumber(value, 'as_num') });
      if (name === 'NodeMeshEnabled') return withBase(base, { type: 'bgp-global-config', name, storedName: b, value, meshEnabled: parseNodeMesh(value, 'node_mesh', note) });
      return withBase(base, { type: 'bgp-global-config', name, storedName: b, value });
    }
    if ((b === 'peer_v4' || b === 'peer_v6') && c && p.length === 3) return peer(base, value, c, b === 'peer_v4' ? 4 : 6, undefined, note);
    if (b === 'custom_filters' && c && d && p.length === 4 && familyOf(c)) {
      return withBase(base, { type: 'custom-bgp-filter', family: familyOf(c) ?? 4, name: d, value });
    }
    if (b && p.length === 2) return withBase(base, { type: 'bgp-unknown-global-config', name: b, value });
    return undefined;
  }
  if (a === 'host' && b) {
    const host = b;
    if ((c === 'ip_addr_v4' || c === 'ip_addr_v6') && p.length === 3) {
      const family = c === 'ip_addr_v4' ? 4 : 6;
      if (value.trim() === '') return withBase(base, { type: 'node-bgp-ip', host, family });
      return withBase(base, { type: 'node-bgp-ip', host, family, ip: ipFromValue(value, family) });
    }
    if ((c === 'network_v4' || c === 'network_v6') && p.length === 3) {
      const family = c === 'network_v4' ? 4 : 6;
      if (value.trim() === '') return withBase(base, { type: 'node-bgp-network', host, family });
      const network = parseCidrField(value.trim(), c);
      if (network.ip.family !== family) throw new ValueError(`${c} ${JSON.stringify(value)} is not an IPv${family} network`);
      return withBase(base, { type: 'node-bgp-network', host, family, network });
    }
    if (c === 'as_num' && p.length === 3) return withBase(base, { type: 'node-as-number', host, asNumber: parseAsNumber(value, 'as_num'), raw: value });
    if (c === 'loglevel' && p.length === 3) return withBase(base, { type: 'bgp-host-loglevel', host, value });
    if ((c === 'peer_v4' || c === 'peer_v6') && d && p.length === 4) return peer(base, value, d, c === 'peer_v4' ? 4 : 6, host, note);
    return undefined;
  }
  if ((a === 'rr_v4' || a === 'rr_v6') && p.length >= 2) return withBase(base, { type: 'route-reflector', value });
  return undefined;
}

function ipFromValue(value: string, family: 4 | 6) {
  const ip = parseIp(value.trim());
  if (!ip || ip.family !== family) throw new ValueError(`value ${JSON.stringify(value)} is not an IPv${family} address`);
  return ip;
}

/** An allocation block's value, checked the way Calico's IPAM reads it: each allocation points at an attribute. */
function parseBlockValue(v: Record<string, unknown>): V1IpamBlock {
  const raw = v['allocations'] ?? [];
  if (!Array.isArray(raw)) throw new ValueError('IPAM block field "allocations" is not a list');
  const attrs = v['attributes'] ?? [];
  if (!Array.isArray(attrs)) throw new ValueError('IPAM block field "attributes" is not a list');
  const handles = attrs.map((a: unknown, i) => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new ValueError(`IPAM block attribute ${i} is not an object`);
    const h = (a as Record<string, unknown>)['handle_id'];
    if (h !== undefined && h !== null && typeof h !== 'string') throw new ValueError(`IPAM block attribute ${i}: "handle_id" is not a string`);
    return typeof h === 'string' ? h : undefined;
  });
  const allocations = raw.map((x: unknown, ordinal) => {
    if (x === null) return null;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= attrs.length) {
      throw new ValueError(`IPAM block allocation ${ordinal} is ${JSON.stringify(x)}, not null or the index of one of its ${attrs.length} attribute(s)`);
    }
    return x;
  });
  const unallocated = v['unallocated'] ?? [];
  if (!Array.isArray(unallocated) || unallocated.some((x) => typeof x !== 'number' || !Number.isInteger(x))) throw new ValueError('IPAM block field "unallocated" is not a list of ordinals');
  return { value: v, allocations, handles };
}

/** Block CIDRs seen in handles: a keyspace has one handle per address, and a few thousand blocks. */
const isCidrText = remembered((text: string): boolean => parseCidr(text) !== undefined);

/**
 * A handle's value as Calico writes it (Go's encoding: `{"block":{"10.0.0.0/26":1}}`, no spaces,
 * numbers without sign, fraction or leading zero): the one shape read without `JSON.parse`.
 */
const CANONICAL_HANDLE = /^\{"block":\{(?:"[0-9A-Fa-f.:/]+":(?:0|[1-9][0-9]{0,14})(?:,"[0-9A-Fa-f.:/]+":(?:0|[1-9][0-9]{0,14}))*)?\}\}$/;

/**
 * A map keyed by data (block CIDRs): a dictionary from the start. `JSON.parse` and `{}` give such a
 * map the shape of its keys, and thousands of distinct keys fill the transitions V8 can keep from
 * one shape; every object with that many properties built afterwards then takes the slow path
 * (each property store a runtime call), which at 300k records was seconds of the whole conversion.
 */
function dataMap(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

function parseHandleValue(value: string): { blocks: Record<string, number>; value: Record<string, unknown> } {
  if (CANONICAL_HANDLE.test(value)) {
    // The same keys and numbers `JSON.parse` gives, read straight from the text: between the
    // braces are only `"cidr":count` pairs, and neither a CIDR nor a count holds `"`, `:` or `,`.
    const blocks = dataMap();
    const body = value.slice('{"block":{'.length, -2);
    let at = 0;
    while (at < body.length) {
      const colon = body.indexOf('":', at);
      const comma = body.indexOf(',', colon);
      const end = comma < 0 ? body.length : comma;
      const cidr = body.slice(at + 1, colon);
      if (!isCidrText(cidr)) throw new ValueError(`IPAM handle names block ${JSON.stringify(cidr)}, which is not a CIDR`);
      blocks[cidr] = Number(body.slice(colon + 2, end));
      at = end + 1;
    }
    return { blocks, value: { block: blocks } };
  }
  const v = parseJsonObject(value, 'IPAM handle value');
  const b = v['block'] ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ValueError('IPAM handle field "block" is not an object');
  const blocks = dataMap();
  for (const [cidr, n] of Object.entries(b as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ValueError(`IPAM handle count for block ${cidr} is ${JSON.stringify(n)}, not a count`);
    if (!isCidrText(cidr)) throw new ValueError(`IPAM handle names block ${JSON.stringify(cidr)}, which is not a CIDR`);
    blocks[cidr] = n;
  }
  return { blocks, value: v };
}

function parseIpamKey(base: ItemBase, p: readonly string[], value: string, note: NoteSink): V1Item | undefined {
  // p: path segments after /calico/ipam/v2
  const a = p[0], b = p[1], c = p[2], d = p[3], e = p[4];
  if (a === 'config' && p.length === 1) return withBase(base, { type: 'ipam-config', value });
  if (a === 'handle' && b && p.length === 2) {
    const { blocks, value: v } = parseHandleValue(value);
    return withBase(base, { type: 'ipam-handle', handle: b, blocks, value: v });
  }
  if (a === 'assignment' && b && familyOf(b) && c === 'block' && d && p.length === 4) {
    const keyCidr = cidrFromSegment(d, base.origin);
    const v = parseJsonObject(value, 'IPAM block value');
    checkCidrMatchesKey(parseCidrField(v['cidr'], 'IPAM block field "cidr"'), keyCidr);
    const affinity = typeof v['affinity'] === 'string' ? v['affinity'] : typeof v['hostAffinity'] === 'string' ? `host:${v['hostAffinity']}` : undefined;
    const block = parseBlockValue(v);
    const allocated = block.allocations.filter((x) => x !== null).length;
    const affinityHost = affinity?.startsWith('host:') ? affinity.slice(5) : undefined;
    return withBase(base, { type: 'ipam-block', cidr: keyCidr, ...(affinityHost ? { affinityHost } : {}), allocated, block });
  }
  if (a === 'host' && b && c && familyOf(c) && d === 'block' && e && p.length === 5) {
    // v2.x wrote `{}` (older code an empty value); a state is kept if one is there.
    const v = value.trim() === '' ? {} : parseJsonObject(value, 'IPAM host affinity value');
    warnUnknownFields(v, ['state'], '', note);
    if (v['state'] !== undefined && typeof v['state'] !== 'string') throw new ValueError('IPAM host affinity field "state" is not a string');
    return withBase(base, { type: 'ipam-affinity', host: b, cidr: cidrFromSegment(e, base.origin), ...(typeof v['state'] === 'string' ? { state: v['state'] } : {}) });
  }
  return undefined;
}

/** A key's path segments, empty ones left out (`/calico//v1/` is `calico`, `v1`). */
function pathSegments(key: string): string[] {
  const segs = (key.startsWith('/') ? key.slice(1) : key).split('/');
  for (const s of segs) if (s === '') return segs.filter((x) => x !== '');
  return segs;
}

/**
 * Classifies one etcd key and parses its value. Throws `ValueError` for a malformed value or key.
 * Keys outside the paths Calico v2.4 defines become `unknown-key` items (reported, not dropped).
 */
export function parseEtcdRecord(rec: RawEtcdRecord, note: NoteSink): V1Item {
  const base: ItemBase = { origin: rec.origin, file: rec.file, store: 'etcd' };
  const segs = pathSegments(rec.key);
  const root = segs[0], area = segs[1], ver = segs[2];
  const rest = (): string[] => segs.slice(3);
  let item: V1Item | undefined;
  if (root === 'calico') {
    if (area === 'v1' && ver !== undefined) item = parseV1Key(base, segs.slice(2), rec.value, note);
    else if (area === 'bgp' && ver === 'v1') item = parseBgpKey(base, rest(), rec.value, note);
    else if (area === 'ipam' && ver === 'v2') item = parseIpamKey(base, rest(), rec.value, note);
    else if (area === 'felix' && ver === 'v1') item = withBase(base, { type: 'status', ...(segs[3] === 'host' && segs[4] ? { host: segs[4] } : {}) });
    else if (area === 'dhcp' || area === 'openstack') item = withBase(base, { type: 'openstack-runtime' });
    else if (area === 'resources') item = withBase(base, { type: 'calico-v3-data' });
  }
  return item ?? withBase(base, { type: 'unknown-key', value: rec.value });
}

