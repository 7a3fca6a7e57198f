/**
 * Felix configuration, one key at a time: a Calico v2.4 Felix config key/value (global
 * `/calico/v1/config/<Key>`, per-host `/calico/v1/host/<h>/config/<Key>`, or a KDD GlobalFelixConfig)
 * becomes its Calico v3.0 destination: a FelixConfiguration spec field, a ClusterInformation field,
 * the raw-key annotation escape hatch, the Node IPIP tunnel address, a drop, or an error.
 *
 * Reference: calico-data-model.md §5 (table 5.1, log levels 5.2, parsing differences 5.3), §4.1
 * (annotation escape hatch), §4.2 FelixConfiguration / ClusterInformation, §6.1 enums. The value
 * grammar follows what Felix itself accepted (felix@2.4.0 config/param_types.go), not the stricter and
 * partly lossy upstream migrator (libcalico-go release-v3.0 lib/upgrade/migrator/felixconfig.go):
 * - keys match case-insensitively, as in Felix;
 * - booleans take Felix's forms (`yes`, `y`, `t`, ...), and integers use Go base-0 parsing (hex, octal);
 * - `none` means the Felix zero value, and Felix refuses it for its "non-zero" keys;
 * - log level `critical` becomes `Fatal` (upstream: `Info`), and `none` stays "sink off";
 * - enum values are re-cased to what the v3 validator accepts.
 *
 * Pure: no I/O, clock, randomness or environment. Every result is a fresh object.
 */

/** One failsafe port, as v3 `failsafe{Inbound,Outbound}HostPorts` holds it. */
export type FelixProtoPort = { protocol: 'TCP' | 'UDP'; port: number };

/** A FelixConfiguration spec value, already in its v3 JSON type. */
export type FelixFieldValue = string | number | boolean | readonly FelixProtoPort[];

export type FelixDestination =
  /** A FelixConfiguration spec field (JSON name), value in its v3 JSON type. */
  | { kind: 'field'; field: string; value: FelixFieldValue; notes: string[] }
  /** A ClusterInformation spec field. */
  | { kind: 'cluster-info'; field: 'clusterGUID' | 'clusterType' | 'calicoVersion'; value: string }
  /** Annotation `config.projectcalico.org/<V1KeyAsWritten>` = raw value on the FelixConfiguration. */
  | { kind: 'annotation'; key: string; value: string; reason: string }
  /** Per-host IpInIpTunnelAddr: goes to Node.spec.bgp.ipv4IPIPTunnelAddr. */
  | { kind: 'node-tunnel-address'; value: string }
  /** Nothing to write (local-only keys, empty values, ...). */
  | { kind: 'drop'; reason: string; code: string }
  /** The value cannot be converted; `message` names the key, the value and what was expected. */
  | { kind: 'error'; code: string; message: string };

export type FelixFieldType =
  | 'bool'
  | 'int'
  | 'uint32'
  | 'string'
  | 'duration-s'
  | 'duration-ms'
  | 'log-level'
  | 'ports'
  | 'enum';

export interface FelixFieldInfo {
  /** The v1 key as Calico writes it (the `confignamev1` tag, or the Go field name). */
  v1Name: string;
  /** The v3 FelixConfiguration spec field (JSON name). */
  field: string;
  type: FelixFieldType;
  /** For `enum`: the values v3 accepts, in v3 case. */
  enumValues?: readonly string[];
}

/** Prefix of the raw-key escape hatch annotation (§4.1). */
export const FELIX_ANNOTATION_PREFIX = 'config.projectcalico.org/';

// ---------------------------------------------------------------------------------------------
// Table 5.1: every v1 key with a FelixConfiguration field in libcalico-go release-v3.0.

function row(v1Name: string, field: string, type: Exclude<FelixFieldType, 'enum'>): FelixFieldInfo {
  return Object.freeze({ v1Name, field, type });
}

function enumRow(v1Name: string, field: string, enumValues: readonly string[]): FelixFieldInfo {
  return Object.freeze({ v1Name, field, type: 'enum', enumValues: Object.freeze([...enumValues]) });
}

export const FELIX_FIELDS: readonly FelixFieldInfo[] = Object.freeze([
  row('UseInternalDataplaneDriver', 'useInternalDataplaneDriver', 'bool'),
  row('DataplaneDriver', 'dataplaneDriver', 'string'),
  row('Ipv6Support', 'ipv6Support', 'bool'),
  row('IgnoreLooseRPF', 'ignoreLooseRPF', 'bool'),
  row('RouteRefreshInterval', 'routeRefreshInterval', 'duration-s'),
  row('IptablesRefreshInterval', 'iptablesRefreshInterval', 'duration-s'),
  row('IptablesPostWriteCheckIntervalSecs', 'iptablesPostWriteCheckInterval', 'duration-s'),
  row('IptablesLockFilePath', 'iptablesLockFilePath', 'string'),
  row('IptablesLockTimeoutSecs', 'iptablesLockTimeout', 'duration-s'),
  row('IptablesLockProbeIntervalMillis', 'iptablesLockProbeInterval', 'duration-ms'),
  row('IpsetsRefreshInterval', 'ipsetsRefreshInterval', 'duration-s'),
  row('MaxIpsetSize', 'maxIpsetSize', 'int'),
  row('NetlinkTimeoutSecs', 'netlinkTimeout', 'duration-s'),
  row('MetadataAddr', 'metadataAddr', 'string'),
  row('MetadataPort', 'metadataPort', 'int'),
  row('InterfacePrefix', 'interfacePrefix', 'string'),
  row('InterfaceExclude', 'interfaceExclude', 'string'),
  // §7.4: the preferred v3 case of chainInsertMode is UNCONFIRMED. Felix matches it
  // case-insensitively, so either works at runtime; we choose Title case (Insert/Append), as the
  // later Calico docs show and as every other v3 enum is written.
  enumRow('ChainInsertMode', 'chainInsertMode', ['Insert', 'Append']),
  enumRow('DefaultEndpointToHostAction', 'defaultEndpointToHostAction', ['Drop', 'Return', 'Accept']),
  enumRow('IptablesFilterAllowAction', 'iptablesFilterAllowAction', ['Accept', 'Return']),
  enumRow('IptablesMangleAllowAction', 'iptablesMangleAllowAction', ['Accept', 'Return']),
  row('LogPrefix', 'logPrefix', 'string'),
  row('LogFilePath', 'logFilePath', 'string'),
  row('LogSeverityFile', 'logSeverityFile', 'log-level'),
  row('LogSeverityScreen', 'logSeverityScreen', 'log-level'),
  row('LogSeveritySys', 'logSeveritySys', 'log-level'),
  row('IpInIpEnabled', 'ipipEnabled', 'bool'),
  row('IpInIpMtu', 'ipipMTU', 'int'),
  row('ReportingIntervalSecs', 'reportingInterval', 'duration-s'),
  row('ReportingTTLSecs', 'reportingTTL', 'duration-s'),
  row('EndpointReportingEnabled', 'endpointReportingEnabled', 'bool'),
  row('EndpointReportingDelaySecs', 'endpointReportingDelay', 'duration-s'),
  row('IptablesMarkMask', 'iptablesMarkMask', 'uint32'),
  row('DisableConntrackInvalidCheck', 'disableConntrackInvalidCheck', 'bool'),
  row('HealthEnabled', 'healthEnabled', 'bool'),
  row('HealthPort', 'healthPort', 'int'),
  row('PrometheusMetricsEnabled', 'prometheusMetricsEnabled', 'bool'),
  row('PrometheusMetricsPort', 'prometheusMetricsPort', 'int'),
  row('PrometheusGoMetricsEnabled', 'prometheusGoMetricsEnabled', 'bool'),
  row('PrometheusProcessMetricsEnabled', 'prometheusProcessMetricsEnabled', 'bool'),
  row('FailsafeInboundHostPorts', 'failsafeInboundHostPorts', 'ports'),
  row('FailsafeOutboundHostPorts', 'failsafeOutboundHostPorts', 'ports'),
  row('UsageReportingEnabled', 'usageReportingEnabled', 'bool'),
  row('UsageReportingInitialDelaySecs', 'usageReportingInitialDelay', 'duration-s'),
  row('UsageReportingIntervalSecs', 'usageReportingInterval', 'duration-s'),
  row('DebugMemoryProfilePath', 'debugMemoryProfilePath', 'string'),
  row('DebugDisableLogDropping', 'debugDisableLogDropping', 'bool'),
  row('DebugSimulateCalcGraphHangAfter', 'debugSimulateCalcGraphHangAfter', 'duration-s'),
  row('DebugSimulateDataplaneHangAfter', 'debugSimulateDataplaneHangAfter', 'duration-s'),
  row('IptablesNATOutgoingInterfaceFilter', 'iptablesNATOutgoingInterfaceFilter', 'string'),
]);

// ---------------------------------------------------------------------------------------------
// Per-key facts that FelixFieldInfo does not carry (felix@2.4.0 / 3.0.1 config/config_params.go).

const lower = (s: string): string => s.toLowerCase();

const FIELDS_BY_KEY: ReadonlyMap<string, FelixFieldInfo> = new Map(FELIX_FIELDS.map((f) => [lower(f.v1Name), f]));

/** Felix's `non-zero` flag: Felix refuses `none` for these keys ("Non-zero field cannot be set to none"). */
const NON_ZERO_KEYS: ReadonlySet<string> = new Set(
  [
    'DataplaneDriver',
    'MaxIpsetSize',
    'InterfacePrefix',
    'ChainInsertMode',
    'DefaultEndpointToHostAction',
    'IptablesFilterAllowAction',
    'IptablesMangleAllowAction',
    'IpInIpMtu',
    'IptablesMarkMask',
  ].map(lower),
);

/** Felix `int(min,max)` bounds; other ints are bounded only by int64 (and here by JSON-safe integers). */
const INT_BOUNDS: ReadonlyMap<string, readonly [number, number]> = new Map([
  [lower('MetadataPort'), [0, 65535]],
  [lower('HealthPort'), [0, 65535]],
  [lower('PrometheusMetricsPort'), [0, 65535]],
]);

/** String fields the v3 validator checks (LCG@release-v3.0 lib/validator/v3/validator.go). */
const STRING_PATTERNS: ReadonlyMap<string, { readonly re: RegExp; readonly expected: string }> = new Map([
  [
    lower('IptablesNATOutgoingInterfaceFilter'),
    { re: /^[a-zA-Z0-9:._+-]{1,15}$/, expected: 'an interface filter of 1-15 characters from [a-zA-Z0-9:._+-]' },
  ],
]);

/** Felix's minimum number of bits in IptablesMarkMask (MinIptablesMarkBits). */
const MIN_MARK_BITS = 2;

/** Keys Felix reads only from local config (env / config file); a datastore value is ignored. */
const LOCAL_ONLY_KEYS: ReadonlyMap<string, string> = new Map(
  ['FelixHostname', 'EtcdAddr', 'EtcdScheme', 'EtcdKeyFile', 'EtcdCertFile', 'EtcdCaFile', 'EtcdEndpoints', 'DatastoreType'].map(
    (k) => [lower(k), k],
  ),
);

const CLUSTER_INFO_KEYS: ReadonlyMap<string, 'clusterGUID' | 'clusterType' | 'calicoVersion'> = new Map([
  ['clusterguid', 'clusterGUID'],
  ['clustertype', 'clusterType'],
  ['calicoversion', 'calicoVersion'],
]);

/** Datastore-settable in Felix 2.x, local-only in Felix 3.0 (felix@3.0.1 config_params.go `local`). */
const TYPHA_KEYS: ReadonlyMap<string, string> = new Map(
  ['TyphaAddr', 'TyphaK8sServiceName', 'TyphaK8sNamespace', 'TyphaReadTimeout', 'TyphaWriteTimeout'].map((k) => [lower(k), k]),
);

const TUNNEL_ADDR_KEY = lower('IpInIpTunnelAddr');

// ---------------------------------------------------------------------------------------------
// Go time.Duration formatting.

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MINUTE = 60n * NS_PER_SECOND;
/** 2^63 as a float: the first nanosecond count a Go Duration (int64) cannot hold. */
const INT64_LIMIT = 9223372036854775808;

/** `v / 10^digits` in decimal, with Go's fraction rules: trailing zeros dropped, no `.` if none left. */
function withFraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = v / scale;
  const frac = v % scale;
  if (frac === 0n) return whole.toString();
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go `time.Duration(ns).String()`. */
function formatNanoseconds(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u < NS_PER_SECOND) {
    // Below one second Go switches to a smaller unit, so that there is a leading non-zero digit.
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${withFraction(u, 3)}\u00b5s`; // U+00B5 MICRO SIGN, as Go writes it
    return `${sign}${withFraction(u, 6)}ms`;
  }
  // Otherwise [h]h[m]m<s>s; hours do not roll over into days.
  let out = `${withFraction(u % NS_PER_MINUTE, 9)}s`;
  const minutes = u / NS_PER_MINUTE;
  if (minutes > 0n) {
    out = `${minutes % 60n}m${out}`;
    const hours = minutes / 60n;
    if (hours > 0n) out = `${hours}h${out}`;
  }
  return sign + out;
}

/**
 * Nanoseconds for `amount` units of `unitNs`, rounded to the nearest nanosecond (half away from
 * zero), or undefined if not finite or outside Go's int64 Duration range.
 *
 * Go computes `time.Duration(x * float64(unit))`, which truncates: `2.3` seconds gives 2.299999999s
 * because 2.3 is not exact in binary. Rounding instead gives what the user wrote (2.3s); the
 * difference is at most 1ns.
 */
function toNanoseconds(amount: number, unitNs: number): bigint | undefined {
  if (!Number.isFinite(amount)) return undefined;
  const magnitude = Math.round(Math.abs(amount) * unitNs);
  if (!(magnitude < INT64_LIMIT)) return undefined;
  const ns = BigInt(magnitude);
  return amount < 0 ? -ns : ns;
}

/**
 * Go `time.Duration.String()` for a number of seconds: 90 -> "1m30s", 0 -> "0s", 0.5 -> "500ms",
 * 1.5 -> "1.5s", 3600 -> "1h0m0s", 0.000001 -> "1µs" (U+00B5), 1e-9 -> "1ns", -90 -> "-1m30s".
 * The seconds are rounded to the nearest nanosecond. Throws RangeError for NaN, infinities, and
 * values beyond a Go Duration (about ±292 years).
 */
export function formatGoDuration(seconds: number): string {
  const ns = toNanoseconds(seconds, 1e9);
  if (ns === undefined) throw new RangeError(`formatGoDuration: ${seconds} seconds is not representable as a Go time.Duration`);
  return formatNanoseconds(ns);
}

// ---------------------------------------------------------------------------------------------
// Value parsers (Felix grammar).

type Parsed<T> = { ok: true; value: T; notes: string[] } | { ok: false; code: string; expected: string };

const fail = (code: string, expected: string): { ok: false; code: string; expected: string } => ({ ok: false, code, expected });

const BOOL_EXPECTED = 'a boolean: true/false, 1/0, yes/no, y/n or t/f in any case, or none';

/** Felix BoolParam: the lower-cased value must be one of its forms (no trimming). */
function parseBool(value: string): Parsed<boolean> {
  const v = lower(value);
  let result: boolean;
  if (v === 'true' || v === '1' || v === 'yes' || v === 'y' || v === 't') result = true;
  else if (v === 'false' || v === '0' || v === 'no' || v === 'n' || v === 'f') result = false;
  else return fail('invalid-bool', BOOL_EXPECTED);
  const notes = value === String(result) ? [] : [`Felix boolean form ${JSON.stringify(value)} read as ${result}`];
  return { ok: true, value: result, notes };
}

/**
 * Go `strconv.ParseInt/ParseUint(s, 0, …)` as built into Felix 2.4 (Go < 1.13): optional sign (signed
 * only), then `0x`/`0X` hex, a leading `0` meaning octal, or decimal. No underscores, no `0b`/`0o`.
 */
function parseGoBase0(value: string, signed: boolean): { n: bigint; radix: 8 | 10 | 16 } | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (m === null) return undefined;
  const sign = m[1] ?? '';
  const digits = m[2] ?? '';
  if (sign !== '' && !signed) return undefined;
  let n: bigint;
  let radix: 8 | 10 | 16;
  if (/^0[xX]/.test(digits)) {
    n = BigInt(`0x${digits.slice(2)}`);
    radix = 16;
  } else if (digits.length > 1 && digits.startsWith('0')) {
    n = BigInt(`0o${digits.slice(1)}`);
    radix = 8;
  } else {
    n = BigInt(digits);
    radix = 10;
  }
  return { n: sign === '-' ? -n : n, radix };
}

function radixNote(value: string, n: bigint, radix: 8 | 10 | 16): string[] {
  if (radix === 16) return [`hexadecimal ${value} read as ${n} (Felix parses integers with Go base-0 rules)`];
  if (radix === 8) return [`leading zero: Felix parses ${value} as octal, i.e. ${n} (Go base-0 rules)`];
  return [];
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Felix IntParam: Go base-0 int64, then the key's bounds; the result must also be a JSON-safe integer. */
function parseInt64(value: string, bounds: readonly [number, number] | undefined): Parsed<number> {
  const expectedBase = 'an integer (decimal, 0x hex or 0-prefixed octal, as Felix parses it)';
  const expected = bounds === undefined ? expectedBase : `${expectedBase} from ${bounds[0]} to ${bounds[1]}`;
  const parsed = parseGoBase0(value, true);
  if (parsed === undefined) return fail('invalid-int', expected);
  const { n, radix } = parsed;
  if (n < INT64_MIN || n > INT64_MAX) return fail('out-of-range', `${expected}, within the 64-bit range`);
  if (bounds !== undefined && (n < BigInt(bounds[0]) || n > BigInt(bounds[1]))) return fail('out-of-range', expected);
  if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    return fail('out-of-range', `${expected}, within ±${Number.MAX_SAFE_INTEGER} so that JSON keeps it exact`);
  }
  return { ok: true, value: Number(n), notes: radixNote(value, n, radix) };
}

/** Felix MarkBitmaskParam: Go base-0 uint32 with at least MIN_MARK_BITS bits set. */
function parseMarkMask(value: string): Parsed<number> {
  const expected = `an unsigned 32-bit mark mask (decimal, or hex such as 0xff000000) with at least ${MIN_MARK_BITS} bits set`;
  const parsed = parseGoBase0(value, false);
  if (parsed === undefined) return fail('invalid-int', expected);
  const { n, radix } = parsed;
  if (n > 0xffffffffn) return fail('out-of-range', expected);
  let bits = 0;
  for (let rest = n; rest > 0n; rest >>= 1n) bits += Number(rest & 1n);
  if (bits < MIN_MARK_BITS) return fail('out-of-range', expected);
  return { ok: true, value: Number(n), notes: radixNote(value, n, radix) };
}

/** Go ParseFloat's decimal syntax (what Felix's SecondsParam / MillisParam accept, minus Inf/NaN). */
const GO_DECIMAL_FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function parseDuration(value: string, unit: 'seconds' | 'milliseconds'): Parsed<string> {
  const expected = `a non-negative number of ${unit} (decimals allowed), or none`;
  if (!GO_DECIMAL_FLOAT.test(value)) return fail('invalid-duration', expected);
  const amount = Number(value);
  if (amount < 0) return fail('invalid-duration', expected);
  const ns = toNanoseconds(amount, unit === 'seconds' ? 1e9 : 1e6);
  if (ns === undefined) return fail('invalid-duration', `${expected}, at most about 292 years`);
  const notes = ns === 0n && amount !== 0 ? [`${value} ${unit} is below one nanosecond and becomes 0s`] : [];
  return { ok: true, value: formatNanoseconds(ns), notes };
}

const PORTS_EXPECTED = 'a comma-separated list of <port> or <tcp|udp>:<port> with ports 0-65535, or none';

/**
 * Felix PortListParam, with v3's upper-case protocol. Empty items are skipped as Felix does;
 * whitespace around items and around the `:` is tolerated (Felix trims only spaces around items).
 */
function parsePorts(value: string): Parsed<FelixProtoPort[]> {
  const out: FelixProtoPort[] = [];
  for (const rawItem of value.split(',')) {
    const item = rawItem.trim();
    if (item === '') continue;
    const parts = item.split(':').map((p) => p.trim());
    if (parts.length > 2) return fail('invalid-ports', PORTS_EXPECTED);
    const protocol = parts.length === 2 ? (parts[0] ?? '').toUpperCase() : 'TCP';
    const portText = parts[parts.length - 1] ?? '';
    if (protocol !== 'TCP' && protocol !== 'UDP') return fail('invalid-ports', PORTS_EXPECTED);
    // Go strconv.Atoi: optional sign, decimal digits.
    if (!/^[+-]?[0-9]+$/.test(portText)) return fail('invalid-ports', PORTS_EXPECTED);
    const port = Number(portText);
    if (!(port >= 0 && port <= 65535)) return fail('invalid-ports', PORTS_EXPECTED);
    out.push({ protocol, port: port === 0 ? 0 : port }); // `-0` becomes 0
  }
  const notes = out.length === 0 ? [`${JSON.stringify(value)} lists no ports; Felix reads it like none`] : [];
  return { ok: true, value: out, notes };
}

/**
 * Log levels. Felix 2.4 accepts DEBUG/INFO/WARNING/ERROR/CRITICAL (any case), the v3 validator
 * Debug/Info/Warning/Error/Fatal. `none` is handled by the caller (annotation).
 */
function parseLogLevel(value: string): Parsed<string> {
  switch (lower(value)) {
    case 'debug':
      return { ok: true, value: 'Debug', notes: [] };
    case 'info':
      return { ok: true, value: 'Info', notes: [] };
    case 'warning':
      return { ok: true, value: 'Warning', notes: [] };
    case 'error':
      return { ok: true, value: 'Error', notes: [] };
    case 'critical':
      return {
        ok: true,
        value: 'Fatal',
        notes: ['CRITICAL (Felix 2.4\'s top level) mapped to Fatal, its v3 equivalent; upstream calico-upgrade would write Info'],
      };
    case 'fatal':
    case 'panic':
      return {
        ok: true,
        value: 'Fatal',
        notes: [
          `${value} mapped to Fatal as upstream does; note that Felix 2.4 did not accept ${JSON.stringify(value)} and ran with its default INFO, so this level now takes effect`,
        ],
      };
    default:
      return fail('invalid-log-level', 'a log level: debug, info, warning, error, critical (or fatal/panic) in any case, or none');
  }
}

function parseEnum(value: string, values: readonly string[]): Parsed<string> {
  const match = values.find((v) => lower(v) === lower(value));
  if (match === undefined) {
    return fail('invalid-enum', `one of ${values.map((v) => v.toUpperCase()).join(', ')} (any case)`);
  }
  const notes = match === value ? [] : [`re-cased ${value} to ${match}, the form the v3 validator accepts`];
  return { ok: true, value: match, notes };
}

/** Dotted-quad IPv4, no leading zeros (as src/net.ts and Go >= 1.17 require). */
function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

// ---------------------------------------------------------------------------------------------
// Destinations.

function errorFor(name: string, value: string, code: string, expected: string): FelixDestination {
  return {
    kind: 'error',
    code,
    message: `Felix config key ${name}: value ${JSON.stringify(value)} cannot be converted; expected ${expected}`,
  };
}

/** Kubernetes qualified-name rule for the part after the annotation prefix. */
const ANNOTATION_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function annotation(name: string, value: string, reason: string): FelixDestination {
  if (!ANNOTATION_NAME.test(name)) {
    return {
      kind: 'error',
      code: 'invalid-annotation-key',
      message:
        `Felix config key ${JSON.stringify(name)} (value ${JSON.stringify(value)}) has no v3 field and cannot be kept as the annotation ` +
        `${FELIX_ANNOTATION_PREFIX}${name}; expected a key of at most 63 characters from [A-Za-z0-9-_.], starting and ending alphanumeric`,
    };
  }
  return { kind: 'annotation', key: `${FELIX_ANNOTATION_PREFIX}${name}`, value, reason };
}

function noneValue(info: FelixFieldInfo, name: string, value: string): FelixDestination {
  const key = lower(info.v1Name);
  if (NON_ZERO_KEYS.has(key)) {
    return errorFor(name, value, 'none-not-allowed', `a real value: Felix refuses none for ${info.v1Name} ("Non-zero field cannot be set to none")`);
  }
  const field = (v: FelixFieldValue, notes: string[]): FelixDestination => ({ kind: 'field', field: info.field, value: v, notes });
  const zeroNote = (zero: string): string => `none is Felix's zero value for ${info.v1Name}: ${zero}`;
  switch (info.type) {
    case 'bool':
      return field(false, [zeroNote('false')]);
    case 'int':
    case 'uint32':
      return field(0, [zeroNote('0')]);
    case 'duration-s':
    case 'duration-ms':
      return field('0s', [zeroNote('0s')]);
    case 'ports':
      return field([], []);
    case 'string':
      // Felix 3.0 reads the v3 string back as the v1 value, so `none` keeps its meaning (e.g. no
      // metadata NAT for MetadataAddr, no file log for LogFilePath).
      return field(value, [`${value} kept verbatim; Felix reads it as the empty (disabled) value`]);
    case 'log-level':
      // A log sink set to `none` is OFF in Felix (zero value ""). v3 logSeverity* accepts only
      // Debug|Info|Warning|Error|Fatal, and leaving the field unset would turn the sink back on at
      // the default Info. The escape-hatch annotation hands Felix the raw v1 key/value instead, so
      // the sink stays off. This applies to LogSeverityFile, LogSeverityScreen and LogSeveritySys.
      return annotation(
        name,
        value,
        `${info.v1Name}=none switches that log sink off in Felix; v3 ${info.field} cannot express "off" ` +
          `(only Debug|Info|Warning|Error|Fatal) and leaving it unset would turn the sink on at Info, ` +
          `so the raw key is kept as an annotation, which Felix reads as the v1 key and keeps the sink off`,
      );
    case 'enum':
      // Every enum key is non-zero in Felix and handled above; kept for exhaustiveness.
      return errorFor(name, value, 'none-not-allowed', `one of ${(info.enumValues ?? []).join(', ')}`);
  }
}

function convertField(info: FelixFieldInfo, name: string, value: string): FelixDestination {
  if (lower(value) === 'none') return noneValue(info, name, value);
  const key = lower(info.v1Name);
  let parsed: Parsed<FelixFieldValue>;
  switch (info.type) {
    case 'bool':
      parsed = parseBool(value);
      break;
    case 'int':
      parsed = parseInt64(value, INT_BOUNDS.get(key));
      break;
    case 'uint32':
      parsed = parseMarkMask(value);
      break;
    case 'duration-s':
      parsed = parseDuration(value, 'seconds');
      break;
    case 'duration-ms':
      parsed = parseDuration(value, 'milliseconds');
      break;
    case 'log-level':
      parsed = parseLogLevel(value);
      break;
    case 'ports':
      parsed = parsePorts(value);
      break;
    case 'enum':
      parsed = parseEnum(value, info.enumValues ?? []);
      break;
    case 'string': {
      const pattern = STRING_PATTERNS.get(key);
      parsed = pattern === undefined || pattern.re.test(value) ? { ok: true, value, notes: [] } : fail('invalid-value', pattern.expected);
      break;
    }
  }
  if (!parsed.ok) return errorFor(name, value, parsed.code, parsed.expected);
  return { kind: 'field', field: info.field, value: parsed.value, notes: parsed.notes };
}

/**
 * Convert one v1 Felix config key/value to its v3 destination. `name` is matched case-insensitively
 * (as Felix does); the annotation escape hatch keeps it as written.
 */
export function convertFelixKey(name: string, value: string): FelixDestination {
  if (value === '') {
    return { kind: 'drop', code: 'empty-value', reason: `${name} has an empty value, which Felix ignores (treated as unset)` };
  }
  const key = lower(name);

  const localOnly = LOCAL_ONLY_KEYS.get(key);
  if (localOnly !== undefined) {
    return {
      kind: 'drop',
      code: 'local-only-key',
      reason: `${localOnly} is local-only (environment or config file); Felix ignores it in the datastore`,
    };
  }

  const clusterField = CLUSTER_INFO_KEYS.get(key);
  if (clusterField !== undefined) return { kind: 'cluster-info', field: clusterField, value };

  if (key === TUNNEL_ADDR_KEY) {
    if (lower(value) === 'none') {
      return { kind: 'drop', code: 'none-value', reason: `${name}=none is Felix's zero value (no tunnel address); nothing to write` };
    }
    if (!isIPv4(value)) return errorFor(name, value, 'invalid-ipv4', 'an IPv4 address in dotted-quad form without leading zeros');
    return { kind: 'node-tunnel-address', value };
  }

  const typha = TYPHA_KEYS.get(key);
  if (typha !== undefined) {
    const envVar = `FELIX_${typha.toUpperCase()}`;
    return annotation(
      name,
      value,
      `Felix 3.0 reads ${typha} only from local config (environment variable ${envVar} or the config file) ` +
        `and ignores it in the datastore; set ${envVar} on calico/node. Kept as an annotation for the record`,
    );
  }

  const info = FIELDS_BY_KEY.get(key);
  if (info !== undefined) return convertField(info, name, value);

  return annotation(name, value, 'no v3 field');
}
