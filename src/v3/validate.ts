/**
 * Calico v3.0 validation of converted objects (libcalico-go `lib/validator/v3/validator.go`, as
 * summarised in §6.1 of the data model): names per kind, labels and annotations, selectors (with
 * the real selector parser), CIDRs, ports with protocol, ICMP, actions, GlobalNetworkPolicy
 * constraints, host endpoint interface names, Felix enums and IP pool rules. Pure; returns the
 * problems, each naming the field.
 */
import type { TargetObject } from '../model/target.js';
import { isDns1123Label, isQualifiedName } from '../names.js';
import { cidrsOverlap, maskCidr, parseCidr, parseIp, sameIp, type Cidr } from '../net.js';
import { validateKubernetesObject } from '../targets-common.js';
import { validateSelector } from '../selector.js';

type Json = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const PROTOCOL_NAMES = ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite'];
const ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'];
const LOG_LEVELS = ['Debug', 'Info', 'Warning', 'Error', 'Fatal'];
const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;
const MAC = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;

/** Kubernetes label map: qualified-name keys, values of at most 63 characters. */
export function validateLabels(labels: unknown, field: string, problems: string[]): void {
  if (labels === undefined) return;
  if (!isObj(labels)) {
    problems.push(`${field} must be a map`);
    return;
  }
  for (const [k, v] of Object.entries(labels)) {
    if (!isQualifiedName(k)) problems.push(`${field} key ${JSON.stringify(k)} is not a valid label key (optional DNS prefix and '/', then at most 63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric)`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`${field} value ${JSON.stringify(v)} of ${JSON.stringify(k)} is not a valid label value (at most 63 characters)`);
  }
}

// Field paths (`spec.ingress[0].source.selector`) are put together only for a problem: validation
// runs over every rule of every policy, and nearly all of them have none.

/** `parent.name`: the path of a field, for a problem's message. */
const at = (parent: string, name: string): string => `${parent}.${name}`;

function selector(v: unknown, parent: string, name: string, problems: string[]): void {
  if (v === undefined) return;
  if (typeof v !== 'string') {
    problems.push(`${at(parent, name)} must be a string`);
    return;
  }
  const err = validateSelector(v);
  if (err) problems.push(`${at(parent, name)} ${JSON.stringify(v)} is not a valid selector: ${err}`);
}

function cidrField(v: unknown, parent: string, name: string, problems: string[]): Cidr | undefined {
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!c) problems.push(`${at(parent, name)} ${JSON.stringify(v)} is not a CIDR`);
  return c;
}

function protocolOf(v: unknown, parent: string, name: string, problems: string[]): string | number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 255) return v;
  if (typeof v === 'string' && PROTOCOL_NAMES.includes(v)) return v;
  problems.push(`${at(parent, name)} ${JSON.stringify(v)} must be one of ${PROTOCOL_NAMES.join(', ')} or a number 1-255`);
  return undefined;
}

function icmp(v: unknown, parent: string, name: string, problems: string[]): void {
  if (v === undefined) return;
  const field = at(parent, name);
  if (!isObj(v)) return void problems.push(`${field} must be an object`);
  const type = v['type'];
  const code = v['code'];
  if (type !== undefined && (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 254)) problems.push(`${field}.type ${JSON.stringify(type)} must be 0-254`);
  if (code !== undefined && (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255)) problems.push(`${field}.code ${JSON.stringify(code)} must be 0-255`);
  if (code !== undefined && type === undefined) problems.push(`${field}.code needs ${field}.type`);
}

/** Kubernetes named-port syntax (IANA service name): v3 rules may name ports. */
const PORT_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const PORT_RANGE = /^(\d+):(\d+)$/;

/** Checks a port list; whether it names a port. */
function ports(v: unknown, parent: string, name: string, problems: string[]): boolean {
  if (v === undefined) return false;
  const list = asList(v);
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535) continue;
    const range = typeof p === 'string' ? PORT_RANGE.exec(p) : null;
    if (range && Number(range[1]) <= Number(range[2]) && Number(range[2]) <= 65535) continue;
    if (typeof p === 'string' && PORT_NAME.test(p)) continue;
    problems.push(`${at(parent, name)} entry ${JSON.stringify(p)} is not a port, a min:max range or a port name`);
  }
  return list.length > 0;
}

/** The address families of an entity rule's nets, as bits, and whether it names ports. */
const IPV4 = 1;
const IPV6 = 2;
const PORTS = 4;

/** A rule's side, with the names of its fields relative to the rule. */
interface Side {
  readonly name: string;
  readonly nets: readonly (readonly [key: string, path: string])[];
  readonly selector: string;
  readonly notSelector: string;
  readonly ports: string;
  readonly notPorts: string;
}

function side(name: string): Side {
  return { name, nets: [['nets', `${name}.nets`], ['notNets', `${name}.notNets`]], selector: `${name}.selector`, notSelector: `${name}.notSelector`, ports: `${name}.ports`, notPorts: `${name}.notPorts` };
}

const SOURCE = side('source');
const DESTINATION = side('destination');

function entityRule(v: unknown, rule: string, side: Side, ipVersion: unknown, problems: string[]): number {
  if (!isObj(v)) return 0;
  let bits = 0;
  for (let k = 0; k < side.nets.length; k++) {
    const [key, path] = side.nets[k]!;
    const nets = v[key];
    if (nets === undefined) continue;
    const list = asList(nets);
    for (let i = 0; i < list.length; i++) {
      const c = cidrField(list[i], rule, path, problems);
      if (c) bits |= c.ip.family === 4 ? IPV4 : IPV6;
    }
  }
  // Any family but the rule's ipVersion (every family, when ipVersion is not 4 or 6).
  const allowed = ipVersion === 4 ? IPV4 : ipVersion === 6 ? IPV6 : 0;
  if (ipVersion !== undefined && (bits & ~allowed) !== 0) problems.push(`${at(rule, side.name)} nets do not match ipVersion ${String(ipVersion)}`);
  selector(v['selector'], rule, side.selector, problems);
  selector(v['notSelector'], rule, side.notSelector, problems);
  const hasPorts = ports(v['ports'], rule, side.ports, problems);
  const hasNotPorts = ports(v['notPorts'], rule, side.notPorts, problems);
  return hasPorts || hasNotPorts ? bits | PORTS : bits;
}

const PORT_PROTOCOLS: readonly unknown[] = ['TCP', 'UDP', 6, 17];

function rule(r: unknown, field: string, problems: string[]): void {
  if (!isObj(r)) return void problems.push(`${field} must be an object`);
  if (typeof r['action'] !== 'string' || !ACTIONS.includes(r['action'])) problems.push(`${field}.action ${JSON.stringify(r['action'])} must be one of ${ACTIONS.join(', ')}`);
  const ipVersion = r['ipVersion'];
  if (ipVersion !== undefined && ipVersion !== 4 && ipVersion !== 6) problems.push(`${field}.ipVersion must be 4 or 6`);
  const protocol = protocolOf(r['protocol'], field, 'protocol', problems);
  protocolOf(r['notProtocol'], field, 'notProtocol', problems);
  icmp(r['icmp'], field, 'icmp', problems);
  icmp(r['notICMP'], field, 'notICMP', problems);
  const src = entityRule(r['source'], field, SOURCE, ipVersion, problems);
  const dst = entityRule(r['destination'], field, DESTINATION, ipVersion, problems);
  if (((src | dst) & PORTS) !== 0 && !PORT_PROTOCOLS.includes(protocol ?? '')) problems.push(`${field}: rules that specify ports must set protocol to TCP or UDP`);
  if (((src | dst) & (IPV4 | IPV6)) === (IPV4 | IPV6)) problems.push(`${field} mixes IPv4 and IPv6 networks`);
}

function rules(v: unknown, field: string, problems: string[]): void {
  const list = asList(v);
  for (let i = 0; i < list.length; i++) rule(list[i], `${field}[${i}]`, problems);
}

function globalNetworkPolicy(o: TargetObject, spec: Json, problems: string[]): void {
  const name = o.apiVersion.startsWith('crd.') ? o.metadata.name.replace(/^default\./, '') : o.metadata.name;
  if (!isDns1123Label(name) && !(name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))) problems.push(`name ${JSON.stringify(name)} must be a DNS-1123 label (lowercase alphanumerics and '-')`);
  selector(spec['selector'], 'spec', 'selector', problems);
  rules(spec['ingress'], 'spec.ingress', problems);
  rules(spec['egress'], 'spec.egress', problems);
  const types = asList(spec['types']);
  if (types.some((t) => t !== 'Ingress' && t !== 'Egress')) problems.push('spec.types may only hold Ingress and Egress');
  if (new Set(types).size !== types.length) problems.push('spec.types has duplicates');
  if (spec['preDNAT'] === true && spec['doNotTrack'] === true) problems.push('preDNAT and doNotTrack cannot both be true');
  if (spec['preDNAT'] === true && (asList(spec['egress']).length > 0 || types.includes('Egress'))) problems.push('preDNAT policy cannot have egress rules or type Egress');
  if ((spec['preDNAT'] === true || spec['doNotTrack'] === true) && spec['applyOnForward'] !== true) problems.push('applyOnForward must be true for preDNAT or doNotTrack policy');
}

const LINK_LOCAL = [parseCidr('169.254.0.0/16'), parseCidr('fe80::/10')].filter((c): c is Cidr => c !== undefined);

export { cidrsOverlap };

function ipPool(spec: Json, problems: string[]): void {
  const c = cidrField(spec['cidr'], 'spec', 'cidr', problems);
  if (!c) return;
  if (!sameIp(maskCidr(c).ip, c.ip)) problems.push(`spec.cidr ${String(spec['cidr'])} must be a network address (strictly masked)`);
  if (LINK_LOCAL.some((l) => cidrsOverlap(l, c))) problems.push(`spec.cidr ${String(spec['cidr'])} overlaps the link-local range`);
  if (spec['disabled'] !== true && c.prefix > (c.ip.family === 4 ? 26 : 122)) problems.push(`an enabled pool must be at least /${c.ip.family === 4 ? 26 : 122}`);
  const mode = spec['ipipMode'] ?? 'Never';
  if (!['Never', 'Always', 'CrossSubnet'].includes(String(mode))) problems.push(`spec.ipipMode ${JSON.stringify(mode)} must be Never, Always or CrossSubnet`);
  if (c.ip.family === 6 && mode !== 'Never') problems.push('spec.ipipMode must be Never on an IPv6 pool');
  if (spec['ipip'] !== undefined || spec['nat-outgoing'] !== undefined) problems.push('the v1 fields ipip and nat-outgoing may not be set in v3');
}

function felixConfiguration(spec: Json, problems: string[]): void {
  for (const f of ['logSeverityScreen', 'logSeverityFile', 'logSeveritySys']) {
    if (spec[f] !== undefined && !LOG_LEVELS.includes(String(spec[f]))) problems.push(`spec.${f} ${JSON.stringify(spec[f])} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (spec['defaultEndpointToHostAction'] !== undefined && !['Drop', 'Accept', 'Return'].includes(String(spec['defaultEndpointToHostAction']))) problems.push('spec.defaultEndpointToHostAction must be Drop, Accept or Return');
  for (const f of ['iptablesFilterAllowAction', 'iptablesMangleAllowAction']) {
    if (spec[f] !== undefined && !['Accept', 'Return'].includes(String(spec[f]))) problems.push(`spec.${f} must be Accept or Return`);
  }
  const filter = spec['iptablesNATOutgoingInterfaceFilter'];
  if (filter !== undefined && !/^[a-zA-Z0-9:._+-]{1,15}$/.test(String(filter))) problems.push('spec.iptablesNATOutgoingInterfaceFilter is not a valid interface filter');
}

function ipField(v: unknown, field: string, problems: string[], family?: 4 | 6): void {
  if (v === undefined) return;
  const ip = typeof v === 'string' ? parseIp(v) : undefined;
  if (!ip || (family && ip.family !== family)) problems.push(`${field} ${JSON.stringify(v)} is not an IPv${family ?? ''} address`);
}

function node(spec: Json, problems: string[]): void {
  const bgp = spec['bgp'];
  if (bgp === undefined) return;
  if (!isObj(bgp)) return void problems.push('spec.bgp must be an object');
  if (bgp['ipv4Address'] === undefined && bgp['ipv6Address'] === undefined && bgp['ipv4IPIPTunnelAddr'] === undefined) problems.push('spec.bgp needs ipv4Address, ipv6Address or ipv4IPIPTunnelAddr');
  if (bgp['ipv4Address'] !== undefined && cidrField(bgp['ipv4Address'], 'spec.bgp', 'ipv4Address', problems)?.ip.family === 6) problems.push('spec.bgp.ipv4Address is IPv6');
  if (bgp['ipv6Address'] !== undefined && cidrField(bgp['ipv6Address'], 'spec.bgp', 'ipv6Address', problems)?.ip.family === 4) problems.push('spec.bgp.ipv6Address is IPv4');
  ipField(bgp['ipv4IPIPTunnelAddr'], 'spec.bgp.ipv4IPIPTunnelAddr', problems, 4);
}

/**
 * v3.0 endpoint ports (libcalico-go release-v3.0 validator): a Kubernetes port name, protocol exactly
 * TCP or UDP (numbers, other cases and SCTP are refused in v3.0), and a port number 1-65535.
 */
function endpointPorts(v: unknown, problems: string[]): void {
  asList(v).forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (!isObj(p)) return void problems.push(`${at} must be an object`);
    if (typeof p['name'] !== 'string' || !PORT_NAME.test(p['name'])) problems.push(`${at}.name ${JSON.stringify(p['name'])} must be a Kubernetes port name (at most 15 lowercase letters, digits and '-', with a letter)`);
    if (p['protocol'] !== 'TCP' && p['protocol'] !== 'UDP') problems.push(`${at}.protocol ${JSON.stringify(p['protocol'])} must be TCP or UDP (Calico v3.0 endpoint ports)`);
    const port = p['port'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${at}.port ${JSON.stringify(port)} must be a port number 1-65535`);
  });
}

function hostEndpoint(spec: Json, problems: string[]): void {
  endpointPorts(spec['ports'], problems);
  if (typeof spec['node'] !== 'string' || spec['node'] === '') problems.push('spec.node must be set');
  const iface = spec['interfaceName'];
  if (iface === undefined && asList(spec['expectedIPs']).length === 0) problems.push('a host endpoint needs interfaceName or expectedIPs');
  if (iface !== undefined && !INTERFACE_NAME.test(String(iface))) problems.push(`spec.interfaceName ${JSON.stringify(iface)} must match ^[a-zA-Z0-9_.-]{1,15}$`);
  asList(spec['expectedIPs']).forEach((ip, i) => ipField(ip, `spec.expectedIPs[${i}]`, problems));
}

function workloadEndpoint(spec: Json, problems: string[]): void {
  endpointPorts(spec['ports'], problems);
  asList(spec['ipNetworks']).forEach((n, i) => cidrField(n, 'spec', `ipNetworks[${i}]`, problems));
  if (spec['mac'] !== undefined && !MAC.test(String(spec['mac']))) problems.push(`spec.mac ${JSON.stringify(spec['mac'])} is not a MAC address`);
  ipField(spec['ipv4Gateway'], 'spec.ipv4Gateway', problems, 4);
  ipField(spec['ipv6Gateway'], 'spec.ipv6Gateway', problems, 6);
}

function bgpPeer(spec: Json, problems: string[]): void {
  ipField(spec['peerIP'], 'spec.peerIP', problems);
  if (typeof spec['asNumber'] !== 'number') problems.push('spec.asNumber must be set');
}

/** Every problem that makes a v3 object invalid; empty when it is valid. */
export function validateV3Object(o: TargetObject): string[] {
  // A GlobalNetworkPolicy's own name rule is checked below; the stored name (with `default.` in
  // the CRD form) must still fit Kubernetes' 253 characters.
  const problems = o.kind === 'GlobalNetworkPolicy' ? validateKubernetesObject(o).filter((p) => !p.startsWith('metadata.name')) : validateKubernetesObject(o);
  if (o.kind === 'GlobalNetworkPolicy' && o.metadata.name.length > 253) problems.push(`metadata.name is ${o.metadata.name.length} characters long; Kubernetes allows 253`);
  validateLabels(o.metadata.labels, 'metadata.labels', problems);
  const spec: Json = o.spec ?? {};
  switch (o.kind) {
    case 'GlobalNetworkPolicy':
      globalNetworkPolicy(o, spec, problems);
      break;
    case 'Profile':
      validateLabels(spec['labelsToApply'], 'spec.labelsToApply', problems);
      rules(spec['ingress'], 'spec.ingress', problems);
      rules(spec['egress'], 'spec.egress', problems);
      break;
    case 'IPPool':
      ipPool(spec, problems);
      break;
    case 'FelixConfiguration':
      felixConfiguration(spec, problems);
      break;
    case 'BGPConfiguration':
      if (spec['logSeverityScreen'] !== undefined && !LOG_LEVELS.includes(String(spec['logSeverityScreen']))) problems.push('spec.logSeverityScreen must be one of Debug, Info, Warning, Error, Fatal');
      break;
    case 'Node':
      node(spec, problems);
      break;
    case 'HostEndpoint':
      hostEndpoint(spec, problems);
      break;
    case 'WorkloadEndpoint':
      workloadEndpoint(spec, problems);
      break;
    case 'BGPPeer':
      bgpPeer(spec, problems);
      break;
  }
  return problems;
}
