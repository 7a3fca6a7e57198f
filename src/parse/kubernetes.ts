/**
 * Kubernetes objects from a v2.4 Kubernetes-datastore dump → v2.4 model items.
 *
 * ThirdPartyResource instances are one record each. Node objects are not records themselves:
 * each Calico annotation and `spec.podCIDR` is one. Parsing is two-layer and every error says
 * which layer failed: the Kubernetes envelope (missing or mistyped fields) or the embedded Calico
 * value (for example the JSON string in an IpPool's `spec.value`).
 */
import type { RawObjectRecord } from '../input/dump.js';
import { isRecord } from '../input/dump.js';
import { cidrToName, nameToIp } from '../names.js';
import { parseCidr, parseIp, sameIp } from '../net.js';
import type { BgpGlobalName, ItemBase, V1Item } from '../model/v1.js';
import {
  ValueError,
  parseApiPolicySpec,
  parseAsNumber,
  parseJsonObject,
  parseNodeMesh,
  parsePoolValue,
  warnUnknownFields,
  type NoteSink,
} from './values.js';

/** A record inside a Kubernetes object: the object itself, or one field of a Node. */
export interface ObjectPart {
  readonly origin: string;
  readonly parse: (note: NoteSink) => V1Item;
}

const ENVELOPE = 'Kubernetes envelope';
const EMBEDDED = 'embedded Calico value';

function envelopeError(message: string): ValueError {
  return new ValueError(`${ENVELOPE}: ${message}`, 'invalid-envelope');
}

function embeddedError(e: unknown): ValueError {
  const message = e instanceof Error ? e.message : String(e);
  return new ValueError(`${EMBEDDED}: ${message}`, 'invalid-value');
}

function spec(rec: RawObjectRecord): Record<string, unknown> {
  const s = rec.object['spec'];
  if (!isRecord(s)) throw envelopeError('spec is missing or not an object');
  return s;
}

function specString(rec: RawObjectRecord, field: string): string {
  const v = spec(rec)[field];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw envelopeError(`spec.${field} is missing or not a string`);
}

/** Runs a parser on the embedded value, labelling its errors with the embedded layer. */
function embedded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw embeddedError(e);
  }
}

const BGP_GLOBAL_BY_LOWER: ReadonlyMap<string, BgpGlobalName> = new Map([
  ['asnumber', 'AsNumber'],
  ['loglevel', 'LogLevel'],
  ['nodemeshenabled', 'NodeMeshEnabled'],
]);

function parseTpr(rec: RawObjectRecord, base: ItemBase, note: NoteSink): V1Item {
  // The instance kinds follow the TPR naming convention (`ip-pool` → IpPool), which §7.1 of the data
  // model could not confirm for every kind; match them case-insensitively.
  switch (rec.kind.toLowerCase()) {
    case 'globalconfig': {
      warnUnknownFields(spec(rec), ['name', 'value'], 'spec', note);
      const name = specString(rec, 'name');
      const value = specString(rec, 'value');
      if (name.toLowerCase() !== rec.name) note('name-mismatch', `metadata.name ${rec.name} is not the lowercased spec.name ${name}; spec.name is used`);
      return { ...base, type: 'felix-global-config', name, value };
    }
    case 'globalbgpconfig': {
      warnUnknownFields(spec(rec), ['name', 'value'], 'spec', note);
      const storedName = specString(rec, 'name');
      const value = specString(rec, 'value');
      const name = BGP_GLOBAL_BY_LOWER.get(storedName.toLowerCase()) ?? BGP_GLOBAL_BY_LOWER.get(rec.name.toLowerCase());
      if (!name) return { ...base, type: 'bgp-unknown-global-config', name: storedName, value };
      if (name === 'AsNumber') return { ...base, type: 'bgp-global-config', name, storedName, value, asNumber: embedded(() => parseAsNumber(value, 'AsNumber')) };
      if (name === 'NodeMeshEnabled') return { ...base, type: 'bgp-global-config', name, storedName, value, meshEnabled: embedded(() => parseNodeMesh(value, 'NodeMeshEnabled', note)) };
      return { ...base, type: 'bgp-global-config', name, storedName, value };
    }
    case 'ippool': {
      warnUnknownFields(spec(rec), ['value'], 'spec', note);
      const raw = specString(rec, 'value');
      const pool = embedded(() => parsePoolValue(parseJsonObject(raw, 'spec.value'), 'spec.value', note, 'spec.value'));
      if (cidrToName(pool.cidr) !== rec.name) {
        note('name-mismatch', `metadata.name ${rec.name} does not encode the pool's cidr; the name is recomputed from the cidr`);
      }
      return { ...base, type: 'ip-pool', pool, storedName: rec.name };
    }
    case 'globalbgppeer': {
      const ip = nameToIp(rec.name);
      if (!ip) throw envelopeError(`metadata.name ${JSON.stringify(rec.name)} does not encode an IP address (expected e.g. 10-0-0-1 or 2001-db8--1)`);
      warnUnknownFields(spec(rec), ['asNumber'], 'spec', note);
      const asRaw = spec(rec)['asNumber'];
      const asNumber = embedded(() => parseAsNumber(asRaw, 'spec.asNumber'));
      return { ...base, type: 'bgp-global-peer', ip, asNumber, asRaw: String(asRaw), storedName: rec.name };
    }
    default:
      throw new ValueError(`${ENVELOPE}: kind ${rec.kind} is not one of Calico v2.4's projectcalico.org/v1 kinds (GlobalConfig, IpPool, GlobalBgpPeer, GlobalBgpConfig)`, 'unknown-calico-tpr-kind');
  }
}

function parseSnp(rec: RawObjectRecord, base: ItemBase, note: NoteSink): V1Item {
  const s = spec(rec);
  const policySpec = embedded(() => parseApiPolicySpec(s, 'spec', note));
  return { ...base, type: 'policy', name: rec.name, tier: 'default', kind: 'system-network-policy', spec: policySpec };
}

function nodePeer(base: ItemBase, node: string, key: string, value: string, note: NoteSink): V1Item {
  const ipName = key.slice('peer.bgp.projectcalico.org/'.length);
  const ip = nameToIp(ipName);
  if (!ip) throw envelopeError(`annotation key suffix ${JSON.stringify(ipName)} does not encode an IP address`);
  const v = embedded(() => parseJsonObject(value, 'annotation value'));
  const valueIp = typeof v['ip'] === 'string' ? parseIp(v['ip']) : undefined;
  if (!valueIp || !sameIp(valueIp, ip)) {
    throw embeddedError(new Error(`field "ip" ${JSON.stringify(v['ip'])} does not match the address in the annotation key`));
  }
  warnUnknownFields(v, ['ip', 'as_num'], '', note);
  const asNumber = embedded(() => parseAsNumber(v['as_num'], 'field "as_num"'));
  return { ...base, type: 'bgp-node-peer', node, ip, asNumber, asRaw: String(v['as_num']), storedName: ipName };
}

function nodeAnnotation(base: ItemBase, node: string, key: string, value: string, note: NoteSink): V1Item {
  if (key === 'projectcalico.org/IPv4Address') {
    const address = parseCidr(value.trim());
    if (!address || address.ip.family !== 4) throw embeddedError(new Error(`${JSON.stringify(value)} is not an IPv4 address with a prefix length (e.g. 10.0.1.5/24)`));
    return { ...base, type: 'node-ipv4-address', host: node, address };
  }
  if (key === 'projectcalico.org/ASNumber') return { ...base, type: 'node-as-number', host: node, asNumber: embedded(() => parseAsNumber(value, 'value')), raw: value };
  if (key.startsWith('peer.bgp.projectcalico.org/')) return nodePeer(base, node, key, value, note);
  if (key === 'config.bgp.projectcalico.org/loglevel') return { ...base, type: 'bgp-host-loglevel', host: node, value };
  return { ...base, type: 'node-unknown-annotation', host: node, key, value };
}

/** Whether an annotation key belongs to Calico (and so is a record to account for). */
export function isCalicoAnnotation(key: string): boolean {
  const prefix = key.split('/')[0] ?? '';
  return key.includes('/') && (prefix === 'projectcalico.org' || prefix.endsWith('.projectcalico.org'));
}

function nodeParts(rec: RawObjectRecord): ObjectPart[] {
  const meta = rec.object['metadata'];
  const annotations = isRecord(meta) && isRecord(meta['annotations']) ? meta['annotations'] : {};
  const parts: ObjectPart[] = [];
  for (const key of Object.keys(annotations).filter(isCalicoAnnotation).sort()) {
    const origin = `${rec.origin} annotation ${key}`;
    const base: ItemBase = { origin, file: rec.file, store: 'kubernetes' };
    parts.push({
      origin,
      parse: (note) => {
        const value = annotations[key];
        if (typeof value !== 'string') throw envelopeError('annotation value is not a string');
        return nodeAnnotation(base, rec.name, key, value, note);
      },
    });
  }
  const nodeSpec = rec.object['spec'];
  if (isRecord(nodeSpec) && nodeSpec['podCIDR'] !== undefined) {
    const origin = `${rec.origin} spec.podCIDR`;
    parts.push({
      origin,
      parse: () => {
        const cidr = typeof nodeSpec['podCIDR'] === 'string' ? parseCidr(nodeSpec['podCIDR']) : undefined;
        if (!cidr) throw envelopeError(`spec.podCIDR ${JSON.stringify(nodeSpec['podCIDR'])} is not a CIDR`);
        return { origin, file: rec.file, store: 'kubernetes', type: 'node-pod-cidr', host: rec.name, cidr };
      },
    });
  }
  return parts;
}

/**
 * Splits a Kubernetes object into its records. Parsing is deferred (`parse`) so the caller can
 * catch each record's error separately and go on with the rest.
 */
export function objectParts(rec: RawObjectRecord): ObjectPart[] {
  const base: ItemBase = { origin: rec.origin, file: rec.file, store: 'kubernetes' };
  const group = rec.apiVersion.split('/')[0] ?? '';
  if (rec.apiVersion === 'v1' && rec.kind === 'Node') return nodeParts(rec);
  const calicoTpr = rec.apiVersion === 'projectcalico.org/v1' || (rec.apiVersion === 'alpha.projectcalico.org/v1' && rec.kind === 'SystemNetworkPolicy');
  if (calicoTpr && rec.namespace !== 'kube-system') {
    const namespace = rec.namespace ?? '';
    return [{ origin: rec.origin, parse: () => ({ ...base, type: 'tpr-outside-kube-system', kind: `${rec.apiVersion} ${rec.kind}`, namespace }) }];
  }
  if (rec.apiVersion === 'projectcalico.org/v1') return [{ origin: rec.origin, parse: (note) => parseTpr(rec, base, note) }];
  if (rec.apiVersion === 'alpha.projectcalico.org/v1' && rec.kind === 'SystemNetworkPolicy') {
    return [{ origin: rec.origin, parse: (note) => parseSnp(rec, base, note) }];
  }
  if (rec.kind === 'ThirdPartyResource' && group === 'extensions') {
    return [{ origin: rec.origin, parse: () => ({ ...base, type: 'tpr-definition', name: rec.name }) }];
  }
  return [{ origin: rec.origin, parse: () => ({ ...base, type: 'unrelated-object', kind: `${rec.apiVersion} ${rec.kind}`.trim() }) }];
}
