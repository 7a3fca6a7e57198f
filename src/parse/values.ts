/**
 * Parsers for Calico v1 values (backend JSON from etcd, v1 API JSON from Kubernetes objects).
 * They throw `ValueError` with a message naming the field; the record parsers turn that into a
 * report entry for the record's origin. Tolerated quirks are documented at each parser.
 */
import { parseCidr, type Cidr } from '../net.js';
import type { V1Action, V1EndpointPort, V1EntityRule, V1HostEndpointValue, V1IcmpFields, V1Nat, V1PolicySpec, V1Pool, V1Port, V1Rule, V1WorkloadEndpointValue } from '../model/v1.js';
import { isRecord } from '../input/dump.js';
import { compact, type Writable } from '../util.js';

/** A value that cannot be read; the message names the field and what was wrong. */
export class ValueError extends Error {
  readonly code: string;
  constructor(message: string, code = 'invalid-value') {
    super(message);
    this.name = 'ValueError';
    this.code = code;
  }
}

/**
 * Notes raised while reading a value (quirks normalised, names that disagree). An unknown field
 * is passed with its path and value: the parser attaches it to the item, and the record is then
 * `converted-with-loss` wherever it is converted.
 */
export type NoteSink = (code: string, message: string, field?: { readonly path: string; readonly value: unknown }) => void;

/** `a.b` path joining, with '' as the root. */
export function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function parseJsonValue(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValueError(`${what} is not valid JSON (${(e as Error).message})`);
  }
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  const v = parseJsonValue(text, what);
  if (!isRecord(v)) throw new ValueError(`${what} is JSON but not an object (got ${Array.isArray(v) ? 'an array' : typeof v})`);
  return v;
}

/** AS numbers: plain uint32, or dotted `a.b` meaning a×65536 + b (libcalico-go numorstring.ASNumber). */
export function parseAsNumber(raw: unknown, what: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  if (text !== undefined) {
    if (/^\d+$/.test(text) && Number(text) <= 4294967295) return Number(text);
    const dotted = /^(\d+)\.(\d+)$/.exec(text);
    if (dotted && Number(dotted[1]) <= 65535 && Number(dotted[2]) <= 65535) return Number(dotted[1]) * 65536 + Number(dotted[2]);
  }
  throw new ValueError(`${what} ${JSON.stringify(raw)} is not an AS number (a 32-bit number, or dotted a.b)`);
}

export function parseCidrField(raw: unknown, what: string): Cidr {
  const c = typeof raw === 'string' ? parseCidr(raw) : undefined;
  if (!c) throw new ValueError(`${what} ${JSON.stringify(raw)} is not a CIDR`);
  return c;
}

function optString(o: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ValueError(`${what} field "${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function optBool(o: Record<string, unknown>, key: string, what: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ValueError(`${what} field "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optNumber(o: Record<string, unknown>, key: string, what: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${what} field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function optStringList(o: Record<string, unknown>, key: string, what: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ValueError(`${what} field "${key}" must be a list of strings, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

/** Every field of `o` not in `known` is noted with its path (under `path`) and value. */
export function warnUnknownFields(o: Record<string, unknown>, known: readonly string[], path: string, note: NoteSink): void {
  // Nearly every value has only known fields: find that out without building a list.
  let unknown = false;
  for (const k in o) {
    if (!known.includes(k)) {
      unknown = true;
      break;
    }
  }
  if (!unknown) return;
  for (const k of Object.keys(o).filter((key) => !known.includes(key)).sort()) {
    const at = joinPath(path, k);
    note('unknown-field', `${at} is not a field any Calico v2.4-v2.6 release defines; it is not carried over`, { path: at, value: o[k] });
  }
}

/**
 * A v1 backend IP pool value. Go writers emit every field; legacy pycalico pools carry only `cidr`
 * plus the fields that were set (no `ipip_mode`), so every field but `cidr` is optional here.
 */
export function parsePoolValue(value: Record<string, unknown>, what: string, note: NoteSink, path = ''): V1Pool {
  warnUnknownFields(value, ['cidr', 'ipip', 'ipip_mode', 'masquerade', 'ipam', 'disabled'], path, note);
  const cidr = parseCidrField(value['cidr'], `${what} field "cidr"`);
  const modeRaw = optString(value, 'ipip_mode', what) ?? '';
  const mode = modeRaw.toLowerCase();
  if (mode !== '' && mode !== 'always' && mode !== 'cross-subnet') {
    throw new ValueError(`${what} field "ipip_mode" is ${JSON.stringify(modeRaw)}; expected "", "always" or "cross-subnet"`);
  }
  const ipam = optBool(value, 'ipam', what);
  return {
    cidr,
    ipip: optString(value, 'ipip', what) ?? '',
    ipipMode: mode,
    masquerade: optBool(value, 'masquerade', what) ?? false,
    ...(ipam === undefined ? {} : { ipam }),
    disabled: optBool(value, 'disabled', what) ?? false,
  };
}

/**
 * A rule port: a number, a `"min:max"` range, or a port name. Names are what the v1 model of the
 * Calico v3 libraries (numorstring.Port with PortName) can hold; v2.x writers never stored them.
 * Whether a target can hold a name, and whether it is a valid one, is decided when converting.
 */
function parsePort(raw: unknown, what: string): V1Port {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 65535) return raw;
  if (typeof raw === 'string') {
    const range = /^(\d{1,5}):(\d{1,5})$/.exec(raw);
    if (range && Number(range[1]) <= Number(range[2]) && Number(range[2]) <= 65535) return raw;
    if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
    // numorstring.Port of the v3 libraries: a name matching [a-zA-Z0-9_.-]{1,128}.
    if (/^[a-zA-Z0-9_.-]{1,128}$/.test(raw) && /[^0-9]/.test(raw)) return raw;
  }
  throw new ValueError(`${what} port ${JSON.stringify(raw)} is not a port number (0-65535), a "min:max" range or a port name`);
}


function optPorts(o: Record<string, unknown>, key: string, what: string): V1Port[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ValueError(`${what} field "${key}" must be a list of ports, got ${JSON.stringify(v)}`);
  return v.map((p) => parsePort(p, `${what} field "${key}"`));
}

function optProtocol(o: Record<string, unknown>, key: string, what: string): number | string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 255) return v;
  if (typeof v === 'string' && v !== '') return /^\d+$/.test(v) ? Number(v) : v.toLowerCase();
  throw new ValueError(`${what} field "${key}" must be a protocol name or a number 1-255, got ${JSON.stringify(v)}`);
}

function parseAction(raw: unknown, what: string, note: NoteSink): V1Action {
  if (raw === undefined || raw === null || raw === '') return 'allow';
  if (typeof raw === 'string') {
    const lower = raw.toLowerCase();
    const action = lower === 'next-tier' ? 'pass' : lower;
    if (action === 'allow' || action === 'deny' || action === 'log' || action === 'pass') {
      if (raw !== lower) note('action-case', `${what} action ${JSON.stringify(raw)} read as "${action}"`);
      return action;
    }
  }
  throw new ValueError(`${what} action ${JSON.stringify(raw)} is not one of allow, deny, log, pass, next-tier`);
}

function icmpFields(type: number | undefined, code: number | undefined): V1IcmpFields | undefined {
  if (type === undefined && code === undefined) return undefined;
  return { ...(type === undefined ? {} : { type }), ...(code === undefined ? {} : { code }) };
}

function mergeNets(nets: string[] | undefined, net: string | undefined): string[] | undefined {
  // `net` joins `nets` as libcalico-go does on read; a value already listed is not repeated.
  if (nets === undefined && !net) return undefined;
  const all = [...new Set([...(nets ?? []), ...(net ? [net] : [])])];
  return all.length > 0 ? all : undefined;
}


const BACKEND_RULE_FIELDS = [
  'action', 'ip_version', 'protocol', '!protocol', 'icmp_type', 'icmp_code', '!icmp_type', '!icmp_code',
  'src_tag', 'src_net', 'src_nets', 'src_selector', 'src_ports', '!src_tag', '!src_net', '!src_nets', '!src_selector', '!src_ports',
  'dst_tag', 'dst_net', 'dst_nets', 'dst_selector', 'dst_ports', '!dst_tag', '!dst_net', '!dst_nets', '!dst_selector', '!dst_ports',
  'log_prefix',
];

/** The backend field names of one side of a rule, written out: a key built at each call is slower to look up. */
interface EntityFields {
  readonly tag: string;
  readonly nets: string;
  readonly net: string;
  readonly selector: string;
  readonly ports: string;
}
const entityFields = (p: string, not: string): EntityFields => ({ tag: `${not}${p}_tag`, nets: `${not}${p}_nets`, net: `${not}${p}_net`, selector: `${not}${p}_selector`, ports: `${not}${p}_ports` });
const ENTITY_FIELDS = {
  src: [entityFields('src', ''), entityFields('src', '!')],
  dst: [entityFields('dst', ''), entityFields('dst', '!')],
} as const;

function backendEntity(o: Record<string, unknown>, p: 'src' | 'dst', what: string): V1EntityRule {
  const [is, not] = ENTITY_FIELDS[p];
  // Fields are added one by one, in this order, when they hold something (what compact() would
  // give): a rule has two entities and a keyspace tens of thousands of rules.
  const e: Writable<V1EntityRule> = {};
  const tag = optString(o, is.tag, what);
  if (tag !== undefined) e.tag = tag;
  const nets = mergeNets(optStringList(o, is.nets, what), optString(o, is.net, what));
  if (nets !== undefined) e.nets = nets;
  const selector = optString(o, is.selector, what);
  if (selector !== undefined) e.selector = selector;
  const ports = optPorts(o, is.ports, what);
  if (ports !== undefined) e.ports = ports;
  const notTag = optString(o, not.tag, what);
  if (notTag !== undefined) e.notTag = notTag;
  const notNets = mergeNets(optStringList(o, not.nets, what), optString(o, not.net, what));
  if (notNets !== undefined) e.notNets = notNets;
  const notSelector = optString(o, not.selector, what);
  if (notSelector !== undefined) e.notSelector = notSelector;
  const notPorts = optPorts(o, not.ports, what);
  if (notPorts !== undefined) e.notPorts = notPorts;
  return e;
}

function parseIpVersion(raw: unknown, what: string): 4 | 6 | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 4 || raw === 6) return raw;
  throw new ValueError(`${what} ip version ${JSON.stringify(raw)} must be 4 or 6`);
}

/** A v1 backend rule (etcd). `src_net` and `src_nets` merge into `nets` (nets first, then net). */
export function parseBackendRule(raw: unknown, what: string, note: NoteSink): V1Rule {
  if (!isRecord(raw)) throw new ValueError(`${what} is not an object`);
  warnUnknownFields(raw, BACKEND_RULE_FIELDS, what, note);
  // In compact()'s order, fields added only when set (see backendEntity).
  const r: Writable<V1Rule> = { action: parseAction(raw['action'], what, note) } as Writable<V1Rule>;
  const ipVersion = parseIpVersion(raw['ip_version'], what);
  if (ipVersion !== undefined) r.ipVersion = ipVersion;
  const protocol = optProtocol(raw, 'protocol', what);
  if (protocol !== undefined) r.protocol = protocol;
  const notProtocol = optProtocol(raw, '!protocol', what);
  if (notProtocol !== undefined) r.notProtocol = notProtocol;
  const icmp = icmpFields(optNumber(raw, 'icmp_type', what), optNumber(raw, 'icmp_code', what));
  if (icmp !== undefined) r.icmp = icmp;
  const notICMP = icmpFields(optNumber(raw, '!icmp_type', what), optNumber(raw, '!icmp_code', what));
  if (notICMP !== undefined) r.notICMP = notICMP;
  r.source = backendEntity(raw, 'src', what);
  r.destination = backendEntity(raw, 'dst', what);
  const logPrefix = optString(raw, 'log_prefix', what);
  if (logPrefix !== undefined) r.logPrefix = logPrefix;
  return r;
}

const API_ENTITY_FIELDS = ['tag', 'net', 'nets', 'selector', 'ports', 'notTag', 'notNet', 'notNets', 'notSelector', 'notPorts'];

function apiEntity(raw: unknown, what: string, note: NoteSink): V1EntityRule {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new ValueError(`${what} is not an object`);
  warnUnknownFields(raw, API_ENTITY_FIELDS, what, note);
  return compact({
    tag: optString(raw, 'tag', what),
    nets: mergeNets(optStringList(raw, 'nets', what), optString(raw, 'net', what)),
    selector: optString(raw, 'selector', what),
    ports: optPorts(raw, 'ports', what),
    notTag: optString(raw, 'notTag', what),
    notNets: mergeNets(optStringList(raw, 'notNets', what), optString(raw, 'notNet', what)),
    notSelector: optString(raw, 'notSelector', what),
    notPorts: optPorts(raw, 'notPorts', what),
  });
}

function apiIcmp(raw: unknown, what: string, note: NoteSink): V1IcmpFields | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw new ValueError(`${what} is not an object`);
  warnUnknownFields(raw, ['type', 'code'], what, note);
  return icmpFields(optNumber(raw, 'type', what), optNumber(raw, 'code', what));
}

/** A v1 API rule (SystemNetworkPolicy specs): `net` and `nets` merge into `nets`. */
export function parseApiRule(raw: unknown, what: string, note: NoteSink): V1Rule {
  if (!isRecord(raw)) throw new ValueError(`${what} is not an object`);
  warnUnknownFields(raw, ['action', 'ipVersion', 'protocol', 'notProtocol', 'icmp', 'notICMP', 'source', 'destination'], what, note);
  return compact({
    action: parseAction(raw['action'], what, note),
    ipVersion: parseIpVersion(raw['ipVersion'], what),
    protocol: optProtocol(raw, 'protocol', what),
    notProtocol: optProtocol(raw, 'notProtocol', what),
    icmp: apiIcmp(raw['icmp'], `${what}.icmp`, note),
    notICMP: apiIcmp(raw['notICMP'], `${what}.notICMP`, note),
    source: apiEntity(raw['source'], `${what}.source`, note),
    destination: apiEntity(raw['destination'], `${what}.destination`, note),
  });
}

function ruleList(raw: unknown, what: string, parse: (r: unknown, w: string) => V1Rule): V1Rule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ValueError(`${what} must be a list of rules`);
  return raw.map((r, i) => parse(r, `${what}[${i}]`));
}

function parseTypes(raw: unknown, what: string): ('ingress' | 'egress')[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new ValueError(`${what} field "types" must be a list`);
  return raw.map((t) => {
    const lower = typeof t === 'string' ? t.toLowerCase() : '';
    if (lower !== 'ingress' && lower !== 'egress') throw new ValueError(`${what} type ${JSON.stringify(t)} is not ingress or egress`);
    return lower;
  });
}

function parseAnnotations(raw: unknown, what: string): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw) || !allStrings(raw)) {
    throw new ValueError(`${what} field "annotations" must be a map of strings`);
  }
  return raw as Record<string, string>;
}

/** Where the policy fields live: the backend (etcd) and the v1 API use different names. */
interface PolicyFieldNames {
  readonly ingress: string;
  readonly egress: string;
  readonly doNotTrack: string;
  readonly preDNAT: string;
  readonly applyOnForward: string;
}

const BACKEND_POLICY: PolicyFieldNames = { ingress: 'inbound_rules', egress: 'outbound_rules', doNotTrack: 'untracked', preDNAT: 'pre_dnat', applyOnForward: 'apply_on_forward' };
const API_POLICY: PolicyFieldNames = { ingress: 'ingress', egress: 'egress', doNotTrack: 'doNotTrack', preDNAT: 'preDNAT', applyOnForward: 'applyOnForward' };
const BACKEND_POLICY_FIELDS = ['order', 'selector', 'types', 'annotations', ...Object.values(BACKEND_POLICY)];
const API_POLICY_FIELDS = ['order', 'selector', 'types', ...Object.values(API_POLICY)];

function parsePolicySpec(
  raw: Record<string, unknown>,
  names: PolicyFieldNames,
  parseRule: (r: unknown, where: string) => V1Rule,
  what: string,
  path: string,
): V1PolicySpec {
  // In compact()'s order, optional fields added only when set (see backendEntity).
  const spec: Writable<V1PolicySpec> = {} as Writable<V1PolicySpec>;
  const order = optNumber(raw, 'order', what);
  if (order !== undefined) spec.order = order;
  spec.selector = optString(raw, 'selector', what) ?? '';
  spec.ingress = ruleList(raw[names.ingress], joinPath(path, names.ingress), parseRule);
  spec.egress = ruleList(raw[names.egress], joinPath(path, names.egress), parseRule);
  spec.doNotTrack = optBool(raw, names.doNotTrack, what) ?? false;
  spec.preDNAT = optBool(raw, names.preDNAT, what) ?? false;
  const types = parseTypes(raw['types'], what);
  if (types !== undefined) spec.types = types;
  const applyOnForward = optBool(raw, names.applyOnForward, what);
  if (applyOnForward !== undefined) spec.applyOnForward = applyOnForward;
  return spec;
}

/** A v1 backend policy (etcd `/calico/v1/policy/tier/<tier>/policy/<name>`). */
export function parseBackendPolicy(
  raw: Record<string, unknown>,
  what: string,
  note: NoteSink,
): { spec: V1PolicySpec; annotations?: Record<string, string> } {
  warnUnknownFields(raw, BACKEND_POLICY_FIELDS, '', note);
  const annotations = parseAnnotations(raw['annotations'], what);
  const spec = parsePolicySpec(raw, BACKEND_POLICY, (r, w) => parseBackendRule(r, w, note), what, '');
  return annotations ? { spec, annotations } : { spec };
}

/** A v1 API PolicySpec (SystemNetworkPolicy `spec`). */
export function parseApiPolicySpec(raw: Record<string, unknown>, what: string, note: NoteSink): V1PolicySpec {
  warnUnknownFields(raw, API_POLICY_FIELDS, what, note);
  return parsePolicySpec(raw, API_POLICY, (r, w) => parseApiRule(r, w, note), what, what);
}

/** Profile `rules` value: `{inbound_rules, outbound_rules}` in backend form. */
export function parseProfileRules(raw: Record<string, unknown>, note: NoteSink): { ingress: V1Rule[]; egress: V1Rule[] } {
  warnUnknownFields(raw, ['inbound_rules', 'outbound_rules'], '', note);
  return {
    ingress: ruleList(raw['inbound_rules'], 'inbound_rules', (r, w) => parseBackendRule(r, w, note)),
    egress: ruleList(raw['outbound_rules'], 'outbound_rules', (r, w) => parseBackendRule(r, w, note)),
  };
}

/**
 * `node_mesh`: in etcd a raw string holding JSON `{"enabled":true}`; through the compat layer and
 * in the Kubernetes datastore a plain `"true"`/`"false"`. Both are accepted. Unlike libcalico-go,
 * which reads anything unparseable as false (mesh off), an unreadable value is an error.
 */
export function parseNodeMesh(raw: string, what: string, note: NoteSink): boolean {
  const t = raw.trim().toLowerCase();
  if (t === 'true' || t === 'false') return t === 'true';
  const v = parseJsonValue(raw, what);
  if (isRecord(v) && typeof v['enabled'] === 'boolean') {
    warnUnknownFields(v, ['enabled'], '', note);
    return v['enabled'];
  }
  throw new ValueError(`${what} ${JSON.stringify(raw)} is neither {"enabled": true|false} nor true/false`);
}

function allStrings(o: Record<string, unknown>): boolean {
  for (const k in o) if (typeof o[k] !== 'string') return false;
  return true;
}

function stringMapField(o: Record<string, unknown>, key: string, what: string): Record<string, string> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isRecord(v) || !allStrings(v)) throw new ValueError(`${what} field "${key}" must map strings to strings, got ${JSON.stringify(v)}`);
  return v as Record<string, string>;
}

/** Endpoint `ports`: `[{name, protocol, port}]`, each part optional (a name-only or port-only entry is kept as given). */
function endpointPorts(o: Record<string, unknown>, what: string, note: NoteSink): V1EndpointPort[] {
  const v = o['ports'];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ValueError(`${what} field "ports" must be a list, got ${JSON.stringify(v)}`);
  return v.map((p, i) => {
    const at = `ports[${i}]`;
    if (!isRecord(p)) throw new ValueError(`${what} ${at} must be an object, got ${JSON.stringify(p)}`);
    warnUnknownFields(p, ['name', 'protocol', 'port'], at, note);
    const protocol = p['protocol'];
    if (protocol !== undefined && protocol !== null && !(typeof protocol === 'string' && protocol !== '') && !(typeof protocol === 'number' && Number.isInteger(protocol) && protocol >= 1 && protocol <= 255)) {
      throw new ValueError(`${what} ${at}.protocol must be a protocol name or a number 1-255, got ${JSON.stringify(protocol)}`);
    }
    const port = optNumber(p, 'port', `${what} ${at}`);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new ValueError(`${what} ${at}.port ${port} is not a port number (0-65535)`);
    // numorstring.Protocol: a number or a digit string is a number; any other string is kept as written.
    const proto = typeof protocol === 'string' && /^\d+$/.test(protocol) ? Number(protocol) : typeof protocol === 'string' || typeof protocol === 'number' ? protocol : undefined;
    return compact({ name: optString(p, 'name', `${what} ${at}`), protocol: proto, port });
  });
}

function nats(o: Record<string, unknown>, key: string, what: string, note: NoteSink): V1Nat[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ValueError(`${what} field "${key}" must be a list, got ${JSON.stringify(v)}`);
  return v.map((n, i) => {
    const at = `${key}[${i}]`;
    if (!isRecord(n) || typeof n['int_ip'] !== 'string' || typeof n['ext_ip'] !== 'string') throw new ValueError(`${what} ${at} must be {"int_ip": …, "ext_ip": …}, got ${JSON.stringify(n)}`);
    warnUnknownFields(n, ['int_ip', 'ext_ip'], at, note);
    return { intIp: n['int_ip'], extIp: n['ext_ip'] };
  });
}

const WEP_FIELDS = ['state', 'name', 'active_instance_id', 'mac', 'profile_ids', 'ipv4_nets', 'ipv6_nets', 'ipv4_nat', 'ipv6_nat', 'labels', 'ipv4_gateway', 'ipv6_gateway', 'ports'];

/** A v1 backend workload endpoint (libcalico-go `model/workloadendpoint.go`, with the v3 libraries' `ports`). */
export function parseWorkloadEndpointValue(v: Record<string, unknown>, note: NoteSink): V1WorkloadEndpointValue {
  const what = 'workload endpoint value';
  warnUnknownFields(v, WEP_FIELDS, '', note);
  // In compact()'s order, optional fields added only when set: one of these for every endpoint.
  const out: Writable<V1WorkloadEndpointValue> = {} as Writable<V1WorkloadEndpointValue>;
  const state = optString(v, 'state', what);
  if (state !== undefined) out.state = state;
  const name = optString(v, 'name', what);
  if (name !== undefined) out.name = name;
  const activeInstanceId = optString(v, 'active_instance_id', what);
  if (activeInstanceId !== undefined) out.activeInstanceId = activeInstanceId;
  const mac = optString(v, 'mac', what);
  if (mac !== undefined) out.mac = mac;
  out.profileIds = optStringList(v, 'profile_ids', what) ?? [];
  out.ipv4Nets = optStringList(v, 'ipv4_nets', what) ?? [];
  out.ipv6Nets = optStringList(v, 'ipv6_nets', what) ?? [];
  out.ipv4Nat = nats(v, 'ipv4_nat', what, note);
  out.ipv6Nat = nats(v, 'ipv6_nat', what, note);
  out.labels = stringMapField(v, 'labels', what);
  const ipv4Gateway = optString(v, 'ipv4_gateway', what);
  if (ipv4Gateway !== undefined) out.ipv4Gateway = ipv4Gateway;
  const ipv6Gateway = optString(v, 'ipv6_gateway', what);
  if (ipv6Gateway !== undefined) out.ipv6Gateway = ipv6Gateway;
  out.ports = endpointPorts(v, what, note);
  return out;
}

/** A v1 backend host endpoint (libcalico-go `model/hostendpoint.go`, with the v3 libraries' `ports`). */
export function parseHostEndpointValue(v: Record<string, unknown>, note: NoteSink): V1HostEndpointValue {
  const what = 'host endpoint value';
  warnUnknownFields(v, ['name', 'expected_ipv4_addrs', 'expected_ipv6_addrs', 'labels', 'profile_ids', 'ports'], '', note);
  return compact({
    name: optString(v, 'name', what),
    expectedIpv4Addrs: optStringList(v, 'expected_ipv4_addrs', what) ?? [],
    expectedIpv6Addrs: optStringList(v, 'expected_ipv6_addrs', what) ?? [],
    labels: stringMapField(v, 'labels', what),
    profileIds: optStringList(v, 'profile_ids', what) ?? [],
    ports: endpointPorts(v, what, note),
  });
}

/** `orchestrator_refs` (Calico v2.6): `[{"orchestrator": "k8s", "nodeName": "n1"}]`. */
export function parseOrchRefs(raw: string, note: NoteSink): { orchestrator: string; nodeName?: string }[] {
  const v = parseJsonValue(raw, 'orchestrator_refs');
  if (!Array.isArray(v)) throw new ValueError(`orchestrator_refs must be a list of {orchestrator, nodeName}, got ${JSON.stringify(v)}`);
  return v.map((r, i) => {
    if (!isRecord(r) || typeof r['orchestrator'] !== 'string' || (r['nodeName'] !== undefined && typeof r['nodeName'] !== 'string')) {
      throw new ValueError(`orchestrator_refs[${i}] must be {"orchestrator": string, "nodeName": string}, got ${JSON.stringify(r)}`);
    }
    warnUnknownFields(r, ['orchestrator', 'nodeName'], `[${i}]`, note);
    return compact({ orchestrator: r['orchestrator'], nodeName: r['nodeName'] as string | undefined });
  });
}

/** A host's `metadata` key: an empty HostMetadata `{}` (older writers left the value empty). */
export function parseHostMetadata(raw: string, note: NoteSink): void {
  if (raw.trim() === '') return;
  warnUnknownFields(parseJsonObject(raw, 'host metadata'), [], '', note);
}
