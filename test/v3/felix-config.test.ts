/**
 * src/v3/felix-config.ts: one v1 Felix config key/value -> its Calico v3 destination
 * (calico-data-model.md §5, §4.2 FelixConfiguration / ClusterInformation, §6.1 enums).
 */
import test from 'ava';
import { convertFelixKey, FELIX_FIELDS, formatGoDuration } from '../../src/v3/felix-config.js';
import type { FelixDestination, FelixFieldInfo, FelixFieldValue } from '../../src/v3/felix-config.js';

// ---------------------------------------------------------------------------------------------
// Macros.

/** The key/value becomes the given spec field and value; notes are empty unless `note` is given. */
const toField = test.macro({
  exec(t, name: string, value: string, field: string, expected: FelixFieldValue, note?: RegExp) {
    const d = convertFelixKey(name, value);
    if (d.kind !== 'field') {
      t.fail(`expected a field, got ${JSON.stringify(d)}`);
      return;
    }
    t.is(d.field, field);
    t.deepEqual(d.value, expected);
    if (note === undefined) t.deepEqual(d.notes, []);
    else t.true(d.notes.some((n) => note.test(n)), `a note matching ${note}: ${JSON.stringify(d.notes)}`);
  },
  title: (provided, name: string, value: string) => `${provided ?? ''}: ${name}=${JSON.stringify(value)}`,
});

/** The key/value is an error with the given code; the message names the key, the value and what was expected. */
const toError = test.macro({
  exec(t, name: string, value: string, code: string, expected: RegExp) {
    const d = convertFelixKey(name, value);
    if (d.kind !== 'error') {
      t.fail(`expected an error, got ${JSON.stringify(d)}`);
      return;
    }
    t.is(d.code, code);
    t.true(d.message.includes(name), `message names the key: ${d.message}`);
    t.true(d.message.includes(JSON.stringify(value)), `message names the value: ${d.message}`);
    t.regex(d.message, expected);
  },
  title: (provided, name: string, value: string) => `${provided ?? ''}: ${name}=${JSON.stringify(value)} is an error`,
});

const toDrop = test.macro({
  exec(t, name: string, value: string, code: string, reason: RegExp) {
    const d = convertFelixKey(name, value);
    if (d.kind !== 'drop') {
      t.fail(`expected a drop, got ${JSON.stringify(d)}`);
      return;
    }
    t.is(d.code, code);
    t.regex(d.reason, reason);
  },
  title: (provided, name: string, value: string) => `${provided ?? ''}: ${name}=${JSON.stringify(value)} is dropped`,
});

const toAnnotation = test.macro({
  exec(t, name: string, value: string, key: string, reason: RegExp) {
    const d = convertFelixKey(name, value);
    if (d.kind !== 'annotation') {
      t.fail(`expected an annotation, got ${JSON.stringify(d)}`);
      return;
    }
    t.is(d.key, key);
    t.is(d.value, value);
    t.regex(d.reason, reason);
  },
  title: (provided, name: string, value: string) => `${provided ?? ''}: ${name}=${JSON.stringify(value)} becomes an annotation`,
});

const toDestination = test.macro({
  exec(t, name: string, value: string, expected: FelixDestination) {
    t.deepEqual(convertFelixKey(name, value), expected);
  },
  title: (provided, name: string, value: string) => `${provided ?? ''}: ${name}=${JSON.stringify(value)}`,
});

// ---------------------------------------------------------------------------------------------
// formatGoDuration: Go time.Duration.String().

const formats = test.macro({
  exec(t, seconds: number, expected: string) {
    t.is(formatGoDuration(seconds), expected);
  },
  title: (provided, seconds: number, expected: string) => `formatGoDuration ${provided ?? ''}: ${seconds} -> ${expected}`,
});

test('zero', formats, 0, '0s');
test('minutes and seconds', formats, 90, '1m30s');
test('whole minute keeps 0s', formats, 60, '1m0s');
test('sub-second in ms', formats, 0.5, '500ms');
test('fractional seconds', formats, 1.5, '1.5s');
test('one hour keeps 0m0s', formats, 3600, '1h0m0s');
test('hours do not roll into days', formats, 86400, '24h0m0s');
test('hours, minutes, fractional seconds', formats, 3661.5, '1h1m1.5s');
test('50 milliseconds', formats, 0.05, '50ms');
test('fractional milliseconds', formats, 0.0015, '1.5ms');
test('one microsecond uses the micro sign U+00B5', formats, 0.000001, '1\u00b5s');
test('fractional microseconds', formats, 0.0000015, '1.5\u00b5s');
test('one nanosecond', formats, 1e-9, '1ns');
test('nanoseconds have no fraction', formats, 9.99e-7, '999ns');
test('nine-digit fraction of seconds', formats, 1.000000001, '1.000000001s');
test('decimal input that is inexact in binary rounds to the intended ns', formats, 2.3, '2.3s');
test('negative', formats, -90, '-1m30s');
test('negative sub-second', formats, -0.5, '-500ms');

const formatThrows = test.macro({
  exec(t, seconds: number) {
    t.throws(() => formatGoDuration(seconds), { instanceOf: RangeError });
  },
  title: (provided, seconds: number) => `formatGoDuration ${provided ?? ''}: ${seconds} throws RangeError`,
});

test('NaN', formatThrows, Number.NaN);
test('infinity', formatThrows, Number.POSITIVE_INFINITY);
test('beyond the int64 nanosecond range', formatThrows, 1e10);

// ---------------------------------------------------------------------------------------------
// FELIX_FIELDS: table 5.1.

const EXPECTED_FIELDS: readonly (readonly [string, string, FelixFieldInfo['type']])[] = [
  ['UseInternalDataplaneDriver', 'useInternalDataplaneDriver', 'bool'],
  ['DataplaneDriver', 'dataplaneDriver', 'string'],
  ['Ipv6Support', 'ipv6Support', 'bool'],
  ['IgnoreLooseRPF', 'ignoreLooseRPF', 'bool'],
  ['RouteRefreshInterval', 'routeRefreshInterval', 'duration-s'],
  ['IptablesRefreshInterval', 'iptablesRefreshInterval', 'duration-s'],
  ['IptablesPostWriteCheckIntervalSecs', 'iptablesPostWriteCheckInterval', 'duration-s'],
  ['IptablesLockFilePath', 'iptablesLockFilePath', 'string'],
  ['IptablesLockTimeoutSecs', 'iptablesLockTimeout', 'duration-s'],
  ['IptablesLockProbeIntervalMillis', 'iptablesLockProbeInterval', 'duration-ms'],
  ['IpsetsRefreshInterval', 'ipsetsRefreshInterval', 'duration-s'],
  ['MaxIpsetSize', 'maxIpsetSize', 'int'],
  ['NetlinkTimeoutSecs', 'netlinkTimeout', 'duration-s'],
  ['MetadataAddr', 'metadataAddr', 'string'],
  ['MetadataPort', 'metadataPort', 'int'],
  ['InterfacePrefix', 'interfacePrefix', 'string'],
  ['InterfaceExclude', 'interfaceExclude', 'string'],
  ['ChainInsertMode', 'chainInsertMode', 'enum'],
  ['DefaultEndpointToHostAction', 'defaultEndpointToHostAction', 'enum'],
  ['IptablesFilterAllowAction', 'iptablesFilterAllowAction', 'enum'],
  ['IptablesMangleAllowAction', 'iptablesMangleAllowAction', 'enum'],
  ['LogPrefix', 'logPrefix', 'string'],
  ['LogFilePath', 'logFilePath', 'string'],
  ['LogSeverityFile', 'logSeverityFile', 'log-level'],
  ['LogSeverityScreen', 'logSeverityScreen', 'log-level'],
  ['LogSeveritySys', 'logSeveritySys', 'log-level'],
  ['IpInIpEnabled', 'ipipEnabled', 'bool'],
  ['IpInIpMtu', 'ipipMTU', 'int'],
  ['ReportingIntervalSecs', 'reportingInterval', 'duration-s'],
  ['ReportingTTLSecs', 'reportingTTL', 'duration-s'],
  ['EndpointReportingEnabled', 'endpointReportingEnabled', 'bool'],
  ['EndpointReportingDelaySecs', 'endpointReportingDelay', 'duration-s'],
  ['IptablesMarkMask', 'iptablesMarkMask', 'uint32'],
  ['DisableConntrackInvalidCheck', 'disableConntrackInvalidCheck', 'bool'],
  ['HealthEnabled', 'healthEnabled', 'bool'],
  ['HealthPort', 'healthPort', 'int'],
  ['PrometheusMetricsEnabled', 'prometheusMetricsEnabled', 'bool'],
  ['PrometheusMetricsPort', 'prometheusMetricsPort', 'int'],
  ['PrometheusGoMetricsEnabled', 'prometheusGoMetricsEnabled', 'bool'],
  ['PrometheusProcessMetricsEnabled', 'prometheusProcessMetricsEnabled', 'bool'],
  ['FailsafeInboundHostPorts', 'failsafeInboundHostPorts', 'ports'],
  ['FailsafeOutboundHostPorts', 'failsafeOutboundHostPorts', 'ports'],
  ['UsageReportingEnabled', 'usageReportingEnabled', 'bool'],
  ['UsageReportingInitialDelaySecs', 'usageReportingInitialDelay', 'duration-s'],
  ['UsageReportingIntervalSecs', 'usageReportingInterval', 'duration-s'],
  ['DebugMemoryProfilePath', 'debugMemoryProfilePath', 'string'],
  ['DebugDisableLogDropping', 'debugDisableLogDropping', 'bool'],
  ['DebugSimulateCalcGraphHangAfter', 'debugSimulateCalcGraphHangAfter', 'duration-s'],
  ['DebugSimulateDataplaneHangAfter', 'debugSimulateDataplaneHangAfter', 'duration-s'],
  ['IptablesNATOutgoingInterfaceFilter', 'iptablesNATOutgoingInterfaceFilter', 'string'],
];

test('FELIX_FIELDS is exactly the 50 FelixConfiguration fields of libcalico-go release-v3.0, in order', (t) => {
  t.deepEqual(
    FELIX_FIELDS.map((f) => [f.v1Name, f.field, f.type]),
    EXPECTED_FIELDS.map((r) => [...r]),
  );
});

test('FELIX_FIELDS has no duplicate v1 names (case-insensitively) or v3 fields', (t) => {
  t.is(new Set(FELIX_FIELDS.map((f) => f.v1Name.toLowerCase())).size, FELIX_FIELDS.length);
  t.is(new Set(FELIX_FIELDS.map((f) => f.field)).size, FELIX_FIELDS.length);
});

test('FELIX_FIELDS: enum rows carry their v3 values, other rows none', (t) => {
  const enums = Object.fromEntries(FELIX_FIELDS.filter((f) => f.enumValues !== undefined).map((f) => [f.v1Name, f.enumValues]));
  t.deepEqual(enums, {
    ChainInsertMode: ['Insert', 'Append'],
    DefaultEndpointToHostAction: ['Drop', 'Return', 'Accept'],
    IptablesFilterAllowAction: ['Accept', 'Return'],
    IptablesMangleAllowAction: ['Accept', 'Return'],
  });
  t.true(FELIX_FIELDS.every((f) => (f.type === 'enum') === (f.enumValues !== undefined)));
});

test('FELIX_FIELDS is frozen', (t) => {
  t.true(Object.isFrozen(FELIX_FIELDS));
  t.true(FELIX_FIELDS.every((f) => Object.isFrozen(f)));
});

/** A valid v1 sample value per field type, to check every row routes to its own field. */
const SAMPLE: Readonly<Record<FelixFieldInfo['type'], string>> = {
  bool: 'true',
  int: '1500',
  uint32: '0xff000000',
  string: 'eth0',
  'duration-s': '90',
  'duration-ms': '50',
  'log-level': 'info',
  ports: 'tcp:22',
  enum: '',
};

test('every FELIX_FIELDS row converts a valid value to its own field', (t) => {
  for (const f of FELIX_FIELDS) {
    const value = f.type === 'enum' ? (f.enumValues?.[0] ?? '') : SAMPLE[f.type];
    const d = convertFelixKey(f.v1Name, value);
    t.is(d.kind, 'field', `${f.v1Name}=${value}: ${JSON.stringify(d)}`);
    if (d.kind === 'field') t.is(d.field, f.field, f.v1Name);
  }
});

// ---------------------------------------------------------------------------------------------
// Key matching: case-insensitive, as Felix does.

test('lower-case key matches', toField, 'logseverityscreen', 'info', 'logSeverityScreen', 'Info');
test('upper-case key matches', toField, 'IPINIPENABLED', 'true', 'ipipEnabled', true);
test('confignamev1 tag name matches case-insensitively', toField, 'iptableslockprobeintervalmillis', '50', 'iptablesLockProbeInterval', '50ms');
test('cluster-info key matches case-insensitively', toDestination, 'clusterguid', 'abc', { kind: 'cluster-info', field: 'clusterGUID', value: 'abc' });
test('local-only key matches case-insensitively', toDrop, 'etcdendpoints', 'http://x:2379', 'local-only-key', /EtcdEndpoints/);
test('tunnel-address key matches case-insensitively', toDestination, 'ipiniptunneladdr', '10.0.0.1', {
  kind: 'node-tunnel-address',
  value: '10.0.0.1',
});
test('annotation escape hatch keeps an unknown key as written', toAnnotation, 'SiteTag', 'rack1', 'config.projectcalico.org/SiteTag', /^no v3 field$/);
test('annotation escape hatch keeps a known key as written', toAnnotation, 'logseverityfile', 'none', 'config.projectcalico.org/logseverityfile', /sink/);

// ---------------------------------------------------------------------------------------------
// Booleans: Felix's forms, any case.

test('true', toField, 'IpInIpEnabled', 'true', 'ipipEnabled', true);
test('false', toField, 'IpInIpEnabled', 'false', 'ipipEnabled', false);
test('1', toField, 'HealthEnabled', '1', 'healthEnabled', true, /read as true/);
test('0', toField, 'HealthEnabled', '0', 'healthEnabled', false, /read as false/);
test('yes (rejected by upstream ParseBool)', toField, 'Ipv6Support', 'yes', 'ipv6Support', true, /read as true/);
test('no (rejected by upstream ParseBool)', toField, 'Ipv6Support', 'no', 'ipv6Support', false, /read as false/);
test('y', toField, 'IgnoreLooseRPF', 'y', 'ignoreLooseRPF', true, /read as true/);
test('n', toField, 'IgnoreLooseRPF', 'n', 'ignoreLooseRPF', false, /read as false/);
test('t', toField, 'PrometheusMetricsEnabled', 't', 'prometheusMetricsEnabled', true, /read as true/);
test('f', toField, 'PrometheusMetricsEnabled', 'f', 'prometheusMetricsEnabled', false, /read as false/);
test('upper-case TRUE', toField, 'EndpointReportingEnabled', 'TRUE', 'endpointReportingEnabled', true, /read as true/);
test('mixed-case Yes', toField, 'UsageReportingEnabled', 'Yes', 'usageReportingEnabled', true, /read as true/);
test('upper-case N', toField, 'DebugDisableLogDropping', 'N', 'debugDisableLogDropping', false, /read as false/);
test('bool none is the Felix zero value false', toField, 'UseInternalDataplaneDriver', 'none', 'useInternalDataplaneDriver', false, /zero value/);
test('bool NONE (any case) is false', toField, 'DisableConntrackInvalidCheck', 'NONE', 'disableConntrackInvalidCheck', false, /zero value/);
test('bool garbage', toError, 'IpInIpEnabled', 'maybe', 'invalid-bool', /boolean/);
test('bool with surrounding space (Felix does not trim)', toError, 'IpInIpEnabled', ' true', 'invalid-bool', /boolean/);
test('bool "2"', toError, 'IpInIpEnabled', '2', 'invalid-bool', /boolean/);

// ---------------------------------------------------------------------------------------------
// int / uint32.

test('decimal int', toField, 'IpInIpMtu', '1440', 'ipipMTU', 1440);
test('int with + sign', toField, 'MaxIpsetSize', '+1048576', 'maxIpsetSize', 1048576);
test('hex int (Felix IntParam is base 0)', toField, 'MetadataPort', '0x50', 'metadataPort', 80, /hexadecimal/);
test('leading-zero int is octal, as Felix read it', toField, 'HealthPort', '0100', 'healthPort', 64, /octal/);
test('int none is the Felix zero value 0', toField, 'MetadataPort', 'none', 'metadataPort', 0, /zero value/);
test('port-type int at its upper bound', toField, 'PrometheusMetricsPort', '65535', 'prometheusMetricsPort', 65535);
test('port-type int above 65535', toError, 'HealthPort', '65536', 'out-of-range', /0 to 65535/);
test('port-type int below 0', toError, 'MetadataPort', '-1', 'out-of-range', /0 to 65535/);
test('int beyond JSON-safe integers', toError, 'MaxIpsetSize', '9007199254740993', 'out-of-range', /JSON/);
test('int beyond int64', toError, 'MaxIpsetSize', '9223372036854775808', 'out-of-range', /64-bit/);
test('int with a fraction', toError, 'IpInIpMtu', '1440.5', 'invalid-int', /integer/);
test('int non-numeric', toError, 'IpInIpMtu', 'big', 'invalid-int', /integer/);
test('int with invalid octal digit', toError, 'MetadataPort', '08775', 'invalid-int', /octal/);
test('none on a Felix non-zero int (IpInIpMtu)', toError, 'IpInIpMtu', 'none', 'none-not-allowed', /Non-zero field/);
test('IptablesMarkMask decimal', toField, 'IptablesMarkMask', '4278190080', 'iptablesMarkMask', 4278190080);
test('IptablesMarkMask hex', toField, 'IptablesMarkMask', '0xff000000', 'iptablesMarkMask', 4278190080, /hexadecimal 0xff000000 read as 4278190080/);
test('IptablesMarkMask upper-case hex', toField, 'IptablesMarkMask', '0XFFFF0000', 'iptablesMarkMask', 4294901760, /hexadecimal/);
test('IptablesMarkMask maximum uint32', toField, 'IptablesMarkMask', '0xffffffff', 'iptablesMarkMask', 4294967295, /hexadecimal/);
test('IptablesMarkMask above uint32', toError, 'IptablesMarkMask', '0x100000000', 'out-of-range', /32-bit/);
test('IptablesMarkMask decimal above uint32', toError, 'IptablesMarkMask', '4294967296', 'out-of-range', /32-bit/);
test('IptablesMarkMask negative', toError, 'IptablesMarkMask', '-1', 'invalid-int', /unsigned/);
test('IptablesMarkMask with fewer than 2 bits set (Felix refuses it)', toError, 'IptablesMarkMask', '0x80000000', 'out-of-range', /2 bits set/);
test('IptablesMarkMask none (Felix non-zero)', toError, 'IptablesMarkMask', 'none', 'none-not-allowed', /none/);
test('IptablesMarkMask bare 0x', toError, 'IptablesMarkMask', '0x', 'invalid-int', /mark mask/);

// ---------------------------------------------------------------------------------------------
// Durations.

test('seconds to Go duration', toField, 'RouteRefreshInterval', '90', 'routeRefreshInterval', '1m30s');
test('zero seconds', toField, 'ReportingIntervalSecs', '0', 'reportingInterval', '0s');
test('fractional seconds below one', toField, 'EndpointReportingDelaySecs', '0.5', 'endpointReportingDelay', '500ms');
test('fractional seconds above one', toField, 'IptablesPostWriteCheckIntervalSecs', '1.5', 'iptablesPostWriteCheckInterval', '1.5s');
test('a day of seconds', toField, 'UsageReportingIntervalSecs', '86400', 'usageReportingInterval', '24h0m0s');
test('exponent form', toField, 'UsageReportingInitialDelaySecs', '3e2', 'usageReportingInitialDelay', '5m0s');
test('leading-dot decimal', toField, 'IptablesLockTimeoutSecs', '.25', 'iptablesLockTimeout', '250ms');
test('duration-ms: IptablesLockProbeIntervalMillis is in milliseconds', toField, 'IptablesLockProbeIntervalMillis', '50', 'iptablesLockProbeInterval', '50ms');
test('duration-ms above one second', toField, 'IptablesLockProbeIntervalMillis', '1500', 'iptablesLockProbeInterval', '1.5s');
test('duration-ms fraction gives microseconds', toField, 'IptablesLockProbeIntervalMillis', '0.5', 'iptablesLockProbeInterval', '500\u00b5s');
test('v2.6-era duration key', toField, 'NetlinkTimeoutSecs', '10', 'netlinkTimeout', '10s');
test('debug hang key', toField, 'DebugSimulateDataplaneHangAfter', '0', 'debugSimulateDataplaneHangAfter', '0s');
test('duration none is the Felix zero value 0s', toField, 'ReportingTTLSecs', 'none', 'reportingTTL', '0s', /zero value/);
test('sub-nanosecond duration becomes 0s with a note', toField, 'ReportingTTLSecs', '1e-12', 'reportingTTL', '0s', /below one nanosecond/);
test('negative duration', toError, 'IpsetsRefreshInterval', '-1', 'invalid-duration', /non-negative/);
test('non-numeric duration', toError, 'IptablesRefreshInterval', '90s', 'invalid-duration', /number of seconds/);
test('infinite duration', toError, 'IptablesRefreshInterval', 'Inf', 'invalid-duration', /number of seconds/);
test('hex is not a duration', toError, 'IptablesRefreshInterval', '0x10', 'invalid-duration', /number of seconds/);
test('duration beyond a Go Duration', toError, 'RouteRefreshInterval', '1e12', 'invalid-duration', /292 years/);
test('non-numeric millisecond duration', toError, 'IptablesLockProbeIntervalMillis', 'fast', 'invalid-duration', /milliseconds/);

// ---------------------------------------------------------------------------------------------
// Log levels.

test('debug', toField, 'LogSeverityScreen', 'debug', 'logSeverityScreen', 'Debug');
test('INFO upper case', toField, 'LogSeverityFile', 'INFO', 'logSeverityFile', 'Info');
test('warning', toField, 'LogSeveritySys', 'warning', 'logSeveritySys', 'Warning');
test('ERROR', toField, 'LogSeverityScreen', 'ERROR', 'logSeverityScreen', 'Error');
test('fatal', toField, 'LogSeverityScreen', 'fatal', 'logSeverityScreen', 'Fatal', /Felix 2\.4 did not accept/);
test('panic', toField, 'LogSeverityFile', 'panic', 'logSeverityFile', 'Fatal', /Fatal/);
test('CRITICAL maps to Fatal, not upstream Info', toField, 'LogSeveritySys', 'CRITICAL', 'logSeveritySys', 'Fatal', /upstream calico-upgrade would write Info/);
test('LogSeverityFile none keeps the file sink off', toAnnotation, 'LogSeverityFile', 'none', 'config.projectcalico.org/LogSeverityFile', /off/);
test('LogSeverityScreen none keeps the screen sink off', toAnnotation, 'LogSeverityScreen', 'none', 'config.projectcalico.org/LogSeverityScreen', /off/);
test('LogSeveritySys NONE keeps syslog off', toAnnotation, 'LogSeveritySys', 'NONE', 'config.projectcalico.org/LogSeveritySys', /turn the sink on at Info/);
test('unknown log level', toError, 'LogSeverityScreen', 'verbose', 'invalid-log-level', /log level/);
test('warn is not a Felix level', toError, 'LogSeverityFile', 'warn', 'invalid-log-level', /warning/);

// ---------------------------------------------------------------------------------------------
// Failsafe ports.

test('port none is an empty list', toField, 'FailsafeInboundHostPorts', 'none', 'failsafeInboundHostPorts', []);
test('port NONE (any case) is an empty list', toField, 'FailsafeOutboundHostPorts', 'NONE', 'failsafeOutboundHostPorts', []);
test('Felix 2.4 inbound default', toField, 'FailsafeInboundHostPorts', 'tcp:22,udp:68', 'failsafeInboundHostPorts', [
  { protocol: 'TCP', port: 22 },
  { protocol: 'UDP', port: 68 },
]);
test('bare port defaults to TCP', toField, 'FailsafeOutboundHostPorts', '2379,udp:53', 'failsafeOutboundHostPorts', [
  { protocol: 'TCP', port: 2379 },
  { protocol: 'UDP', port: 53 },
]);
test('protocol is upper-cased', toField, 'FailsafeInboundHostPorts', 'Tcp:22,UDP:68', 'failsafeInboundHostPorts', [
  { protocol: 'TCP', port: 22 },
  { protocol: 'UDP', port: 68 },
]);
test('whitespace tolerated around items and the colon', toField, 'FailsafeInboundHostPorts', ' tcp : 22 ,\tudp:68 ', 'failsafeInboundHostPorts', [
  { protocol: 'TCP', port: 22 },
  { protocol: 'UDP', port: 68 },
]);
test('empty items skipped, as Felix does', toField, 'FailsafeInboundHostPorts', 'tcp:22,,udp:68,', 'failsafeInboundHostPorts', [
  { protocol: 'TCP', port: 22 },
  { protocol: 'UDP', port: 68 },
]);
test('ports 0 and 65535 are in range', toField, 'FailsafeOutboundHostPorts', 'udp:0,tcp:65535', 'failsafeOutboundHostPorts', [
  { protocol: 'UDP', port: 0 },
  { protocol: 'TCP', port: 65535 },
]);
test('only commas is an empty list with a note', toField, 'FailsafeOutboundHostPorts', ',', 'failsafeOutboundHostPorts', [], /no ports/);
test('unknown protocol', toError, 'FailsafeInboundHostPorts', 'sctp:22', 'invalid-ports', /tcp\|udp/);
test('port above 65535', toError, 'FailsafeInboundHostPorts', 'tcp:65536', 'invalid-ports', /0-65535/);
test('negative port', toError, 'FailsafeInboundHostPorts', 'tcp:-1', 'invalid-ports', /0-65535/);
test('non-numeric port', toError, 'FailsafeOutboundHostPorts', 'tcp:ssh', 'invalid-ports', /port/);
test('too many colons', toError, 'FailsafeOutboundHostPorts', 'tcp:22:23', 'invalid-ports', /<tcp\|udp>:<port>/);
test('missing port after protocol', toError, 'FailsafeOutboundHostPorts', 'udp:', 'invalid-ports', /port/);

// ---------------------------------------------------------------------------------------------
// Enums, re-cased for the v3 validator.

test('DefaultEndpointToHostAction DROP', toField, 'DefaultEndpointToHostAction', 'DROP', 'defaultEndpointToHostAction', 'Drop', /re-cased/);
test('DefaultEndpointToHostAction RETURN', toField, 'DefaultEndpointToHostAction', 'RETURN', 'defaultEndpointToHostAction', 'Return', /re-cased/);
test('DefaultEndpointToHostAction ACCEPT', toField, 'DefaultEndpointToHostAction', 'ACCEPT', 'defaultEndpointToHostAction', 'Accept', /re-cased/);
test('DefaultEndpointToHostAction already v3 case', toField, 'DefaultEndpointToHostAction', 'Return', 'defaultEndpointToHostAction', 'Return');
test('IptablesFilterAllowAction ACCEPT', toField, 'IptablesFilterAllowAction', 'ACCEPT', 'iptablesFilterAllowAction', 'Accept', /re-cased/);
test('IptablesFilterAllowAction RETURN', toField, 'IptablesFilterAllowAction', 'RETURN', 'iptablesFilterAllowAction', 'Return', /re-cased/);
test('IptablesMangleAllowAction ACCEPT', toField, 'IptablesMangleAllowAction', 'ACCEPT', 'iptablesMangleAllowAction', 'Accept', /re-cased/);
test('IptablesMangleAllowAction lower-case return', toField, 'IptablesMangleAllowAction', 'return', 'iptablesMangleAllowAction', 'Return', /re-cased/);
test('ChainInsertMode insert (Insert chosen, §7.4 UNCONFIRMED)', toField, 'ChainInsertMode', 'insert', 'chainInsertMode', 'Insert', /re-cased/);
test('ChainInsertMode append', toField, 'ChainInsertMode', 'append', 'chainInsertMode', 'Append', /re-cased/);
test('DefaultEndpointToHostAction invalid', toError, 'DefaultEndpointToHostAction', 'REJECT', 'invalid-enum', /DROP, RETURN, ACCEPT/);
test('IptablesFilterAllowAction DROP is not allowed', toError, 'IptablesFilterAllowAction', 'DROP', 'invalid-enum', /ACCEPT, RETURN/);
test('IptablesMangleAllowAction invalid', toError, 'IptablesMangleAllowAction', 'LOG', 'invalid-enum', /ACCEPT, RETURN/);
test('ChainInsertMode invalid', toError, 'ChainInsertMode', 'prepend', 'invalid-enum', /INSERT, APPEND/);
test('enum none (Felix non-zero)', toError, 'DefaultEndpointToHostAction', 'none', 'none-not-allowed', /Non-zero field/);

// ---------------------------------------------------------------------------------------------
// Strings, verbatim.

test('MetadataAddr none stays none', toField, 'MetadataAddr', 'none', 'metadataAddr', 'none', /verbatim/);
test('LogFilePath none stays none', toField, 'LogFilePath', 'none', 'logFilePath', 'none', /verbatim/);
test('InterfacePrefix comma list verbatim', toField, 'InterfacePrefix', 'cali,tap', 'interfacePrefix', 'cali,tap');
test('MetadataAddr host name verbatim', toField, 'MetadataAddr', 'nova-api.example.com', 'metadataAddr', 'nova-api.example.com');
test('LogPrefix with spaces verbatim', toField, 'LogPrefix', 'calico packet ', 'logPrefix', 'calico packet ');
test('InterfaceExclude verbatim', toField, 'InterfaceExclude', 'kube-ipvs0', 'interfaceExclude', 'kube-ipvs0');
test('DataplaneDriver path verbatim', toField, 'DataplaneDriver', '/usr/bin/plugin', 'dataplaneDriver', '/usr/bin/plugin');
test('IptablesNATOutgoingInterfaceFilter valid', toField, 'IptablesNATOutgoingInterfaceFilter', 'eth+', 'iptablesNATOutgoingInterfaceFilter', 'eth+');
test('IptablesNATOutgoingInterfaceFilter failing the v3 validator', toError, 'IptablesNATOutgoingInterfaceFilter', 'eth0,eth1', 'invalid-value', /interface filter/);
test('none on a Felix non-zero string (InterfacePrefix)', toError, 'InterfacePrefix', 'none', 'none-not-allowed', /Non-zero field/);

// ---------------------------------------------------------------------------------------------
// ClusterInformation and the Node tunnel address.

test('ClusterGUID', toDestination, 'ClusterGUID', '328b9309c07447db893cd7c155f2547b', {
  kind: 'cluster-info',
  field: 'clusterGUID',
  value: '328b9309c07447db893cd7c155f2547b',
});
test('ClusterType verbatim', toDestination, 'ClusterType', 'k8s,bgp,KDD', { kind: 'cluster-info', field: 'clusterType', value: 'k8s,bgp,KDD' });
test('CalicoVersion', toDestination, 'CalicoVersion', 'v2.4.1', { kind: 'cluster-info', field: 'calicoVersion', value: 'v2.4.1' });
test('IpInIpTunnelAddr', toDestination, 'IpInIpTunnelAddr', '192.168.0.1', { kind: 'node-tunnel-address', value: '192.168.0.1' });
test('IpInIpTunnelAddr IPv6', toError, 'IpInIpTunnelAddr', 'fd00::1', 'invalid-ipv4', /IPv4/);
test('IpInIpTunnelAddr bad octet', toError, 'IpInIpTunnelAddr', '10.0.0.256', 'invalid-ipv4', /IPv4/);
test('IpInIpTunnelAddr with prefix length', toError, 'IpInIpTunnelAddr', '10.0.0.1/32', 'invalid-ipv4', /IPv4/);
test('IpInIpTunnelAddr leading zero', toError, 'IpInIpTunnelAddr', '10.0.0.01', 'invalid-ipv4', /leading zeros/);
test('IpInIpTunnelAddr none means no address', toDrop, 'IpInIpTunnelAddr', 'none', 'none-value', /no tunnel address/);

// ---------------------------------------------------------------------------------------------
// Drops.

test('empty value on a field key', toDrop, 'IpInIpEnabled', '', 'empty-value', /empty/);
test('empty value on an unknown key', toDrop, 'marker', '', 'empty-value', /empty/);
test('empty value on a cluster-info key', toDrop, 'ClusterGUID', '', 'empty-value', /empty/);
for (const key of ['FelixHostname', 'EtcdAddr', 'EtcdScheme', 'EtcdKeyFile', 'EtcdCertFile', 'EtcdCaFile', 'EtcdEndpoints', 'DatastoreType']) {
  test(`local-only ${key}`, toDrop, key, 'x', 'local-only-key', new RegExp(`${key} is local-only`));
}

// ---------------------------------------------------------------------------------------------
// Annotations: Typha keys and unknown keys.

const TYPHA: readonly (readonly [string, string, string])[] = [
  ['TyphaAddr', '10.0.0.5:5473', 'FELIX_TYPHAADDR'],
  ['TyphaK8sServiceName', 'calico-typha', 'FELIX_TYPHAK8SSERVICENAME'],
  ['TyphaK8sNamespace', 'kube-system', 'FELIX_TYPHAK8SNAMESPACE'],
  ['TyphaReadTimeout', '30', 'FELIX_TYPHAREADTIMEOUT'],
  ['TyphaWriteTimeout', '10', 'FELIX_TYPHAWRITETIMEOUT'],
];
for (const [key, value, env] of TYPHA) {
  test(`Typha key ${key} names ${env}`, toAnnotation, key, value, `config.projectcalico.org/${key}`, new RegExp(`only from local config.*${env}`));
}
test('Typha key written in lower case keeps its case in the annotation, canonical env var', toAnnotation, 'typhak8sservicename', 'calico-typha', 'config.projectcalico.org/typhak8sservicename', /FELIX_TYPHAK8SSERVICENAME/);
test('legacy marker key', toAnnotation, 'marker', 'created', 'config.projectcalico.org/marker', /^no v3 field$/);
test('unknown key with none keeps none', toAnnotation, 'CustomThing', 'none', 'config.projectcalico.org/CustomThing', /^no v3 field$/);
test('unknown key that is not a valid annotation name', toError, 'bad key/name', 'x', 'invalid-annotation-key', /63 characters/);
test('unknown key longer than 63 characters', toError, 'K'.repeat(64), 'x', 'invalid-annotation-key', /63 characters/);

// ---------------------------------------------------------------------------------------------
// Purity.

test('results are fresh objects: mutating one does not affect the next call', (t) => {
  const first = convertFelixKey('FailsafeInboundHostPorts', 'tcp:22');
  if (first.kind === 'field') first.notes.push('mutated');
  t.deepEqual(convertFelixKey('FailsafeInboundHostPorts', 'tcp:22'), {
    kind: 'field',
    field: 'failsafeInboundHostPorts',
    value: [{ protocol: 'TCP', port: 22 }],
    notes: [],
  });
});
