/**
 * Datastore connection settings, as calicoctl users already have them: flags, environment
 * variables (also with the `CALICO_` prefix calicoctl accepts) and a calicoctl config file
 * (`apiVersion: v1`, `kind: calicoApiConfig`). Precedence is flag > environment > file > default,
 * and every value remembers where it came from, so the CLI can say which settings it used; a file
 * silently overriding the environment is a pain point calicoctl users reported. Pure.
 */
import YAML from 'yaml';
import { CalicoMigrateError } from '../errors.js';
import { isRecord } from '../input/dump.js';

export const DATASTORE_TYPES = ['etcdv2', 'etcdv3', 'kubernetes'] as const;
export type DatastoreType = (typeof DATASTORE_TYPES)[number];

/** Every setting, named as in the calicoctl config file's `spec`. */
export const SETTING_FIELDS = [
  'datastoreType',
  'etcdEndpoints',
  'etcdUsername',
  'etcdPassword',
  'etcdKeyFile',
  'etcdCertFile',
  'etcdCACertFile',
  'kubeconfig',
  'k8sAPIEndpoint',
  'k8sCertFile',
  'k8sKeyFile',
  'k8sCAFile',
  'k8sToken',
  'k8sInsecureSkipTLSVerify',
] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];

/** Fields whose values never appear in output, logs or reports. */
export const SECRET_FIELDS: ReadonlySet<SettingField> = new Set(['etcdPassword', 'k8sToken']);

/** Environment variable and flag for each field. */
export const SETTING_NAMES: Readonly<Record<SettingField, { env: readonly string[]; flag: string }>> = {
  datastoreType: { env: ['DATASTORE_TYPE'], flag: '--datastore-type' },
  etcdEndpoints: { env: ['ETCD_ENDPOINTS'], flag: '--etcd-endpoints' },
  etcdUsername: { env: ['ETCD_USERNAME'], flag: '--etcd-username' },
  etcdPassword: { env: ['ETCD_PASSWORD'], flag: '--etcd-password' },
  etcdKeyFile: { env: ['ETCD_KEY_FILE'], flag: '--etcd-key-file' },
  etcdCertFile: { env: ['ETCD_CERT_FILE'], flag: '--etcd-cert-file' },
  etcdCACertFile: { env: ['ETCD_CA_CERT_FILE'], flag: '--etcd-ca-cert-file' },
  kubeconfig: { env: ['KUBECONFIG'], flag: '--kubeconfig' },
  k8sAPIEndpoint: { env: ['K8S_API_ENDPOINT'], flag: '--k8s-api-endpoint' },
  k8sCertFile: { env: ['K8S_CERT_FILE'], flag: '--k8s-cert-file' },
  k8sKeyFile: { env: ['K8S_KEY_FILE'], flag: '--k8s-key-file' },
  k8sCAFile: { env: ['K8S_CA_FILE'], flag: '--k8s-ca-file' },
  k8sToken: { env: ['K8S_TOKEN', 'K8S_API_TOKEN'], flag: '--k8s-token' },
  k8sInsecureSkipTLSVerify: { env: ['K8S_INSECURE_SKIP_TLS_VERIFY'], flag: '--k8s-insecure-skip-tls-verify' },
};

export type SettingSource =
  | { readonly kind: 'flag'; readonly name: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'default' };

export interface DatastoreSettings {
  readonly datastoreType: DatastoreType;
  readonly etcdEndpoints: readonly string[];
  readonly etcdUsername?: string;
  readonly etcdPassword?: string;
  readonly etcdKeyFile?: string;
  readonly etcdCertFile?: string;
  readonly etcdCACertFile?: string;
  readonly kubeconfig?: string;
  readonly k8sAPIEndpoint?: string;
  readonly k8sCertFile?: string;
  readonly k8sKeyFile?: string;
  readonly k8sCAFile?: string;
  readonly k8sToken?: string;
  readonly k8sInsecureSkipTLSVerify?: boolean;
}

export interface ResolvedSettings {
  readonly settings: DatastoreSettings;
  /** Where each setting that has a value came from. */
  readonly sources: Readonly<Partial<Record<SettingField, SettingSource>>>;
  /** Disagreements worth telling the operator (e.g. the file and the environment differ). */
  readonly notes: readonly string[];
}

/**
 * Whose settings: the source's (calicoctl v2's names: `DATASTORE_TYPE`, `--datastore-type`, a
 * `calicoApiConfig` file) or the destination's, where an apply writes (the same names with a
 * `TARGET_` / `--target-` prefix, and calicoctl v3's `CalicoAPIConfig` file).
 */
export type SettingsScope = 'source' | 'destination';

export interface SettingsInput {
  readonly flags: Readonly<Partial<Record<SettingField, string>>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The calicoctl config file, when one is used. */
  readonly file?: { readonly path: string; readonly text: string };
  /** Default: the source's. */
  readonly scope?: SettingsScope;
}

/** The destination's datastore types: what Calico v3 reads (there is no v3 etcd v2 datastore). */
export const DESTINATION_DATASTORE_TYPES = ['etcdv3', 'kubernetes'] as const;

/** The environment variables and flag of a setting in a scope. */
export function settingNames(field: SettingField, scope: SettingsScope = 'source'): { env: readonly string[]; flag: string } {
  const n = SETTING_NAMES[field];
  return scope === 'source' ? n : { env: n.env.map((e) => `TARGET_${e}`), flag: `--target-${n.flag.slice(2)}` };
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:2379';

/** Reads the `spec` of a calicoctl config file (YAML or JSON); errors name the file. */
export function parseCalicoctlConfig(path: string, text: string, scope: SettingsScope = 'source'): Partial<Record<SettingField, string>> {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new CalicoMigrateError('E_USAGE', `${path}: not valid YAML or JSON (${(e as Error).message.split('\n')[0] ?? ''})`);
  }
  // The source is v2.x data, read as calicoctl v1 did; the destination is Calico v3's, configured as calicoctl v3 is.
  const expected = scope === 'source' ? { kind: 'calicoApiConfig', apiVersion: 'v1' } : { kind: 'CalicoAPIConfig', apiVersion: 'projectcalico.org/v3' };
  if (!isRecord(doc) || doc['kind'] !== expected.kind) {
    throw new CalicoMigrateError('E_USAGE', `${path}: not a calicoctl ${scope === 'source' ? '' : 'v3 '}config file (expected kind: ${expected.kind})`);
  }
  if (scope === 'destination' && doc['apiVersion'] !== expected.apiVersion) {
    throw new CalicoMigrateError('E_USAGE', `${path}: expected apiVersion: ${expected.apiVersion}, got ${JSON.stringify(doc['apiVersion'])}`);
  }
  const spec = doc['spec'] ?? {};
  if (!isRecord(spec)) throw new CalicoMigrateError('E_USAGE', `${path}: spec must be a map`);
  const out: Partial<Record<SettingField, string>> = {};
  for (const [key, value] of Object.entries(spec)) {
    const field = SETTING_FIELDS.find((f) => f === key) ?? (key === 'k8sAPIToken' ? 'k8sToken' : undefined);
    if (!field) throw new CalicoMigrateError('E_USAGE', `${path}: unknown setting spec.${key} (known: ${SETTING_FIELDS.join(', ')})`);
    if (value === null || value === undefined) continue;
    out[field] = typeof value === 'string' ? value : String(value);
  }
  return out;
}

function fromEnv(env: SettingsInput['env'], field: SettingField, scope: SettingsScope): { value: string; name: string } | undefined {
  for (const base of settingNames(field, scope).env) {
    for (const name of scope === 'source' ? [base, `CALICO_${base}`] : [base]) {
      const value = env[name];
      if (value !== undefined && value !== '') return { value, name };
    }
  }
  return undefined;
}

function parseBool(field: SettingField, value: string, where: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new CalicoMigrateError('E_USAGE', `${field} from ${where} must be true or false, got ${JSON.stringify(value)}`);
}

export function describeSource(s: SettingSource): string {
  switch (s.kind) {
    case 'flag':
      return `flag ${s.name}`;
    case 'env':
      return `environment ${s.name}`;
    case 'file':
      return `config file ${s.path}`;
    case 'default':
      return 'default';
  }
}

/** Resolves every setting with flag > environment > file > default. */
export function resolveSettings(input: SettingsInput): ResolvedSettings {
  const scope = input.scope ?? 'source';
  const fileValues = input.file ? parseCalicoctlConfig(input.file.path, input.file.text, scope) : {};
  const raw: Partial<Record<SettingField, string>> = {};
  const sources: Partial<Record<SettingField, SettingSource>> = {};
  const notes: string[] = [];
  for (const field of SETTING_FIELDS) {
    const flag = input.flags[field];
    const env = fromEnv(input.env, field, scope);
    const file = fileValues[field];
    if (flag !== undefined) {
      raw[field] = flag;
      sources[field] = { kind: 'flag', name: settingNames(field, scope).flag };
    } else if (env) {
      raw[field] = env.value;
      sources[field] = { kind: 'env', name: env.name };
    } else if (file !== undefined && input.file) {
      raw[field] = file;
      sources[field] = { kind: 'file', path: input.file.path };
    }
    if (env && file !== undefined && env.value !== file && input.file) {
      const shown = SECRET_FIELDS.has(field) ? '' : ` (${JSON.stringify(env.value)} over ${JSON.stringify(file)})`;
      notes.push(`${field}: environment ${env.name} overrides config file ${input.file.path}${shown}`);
    }
  }
  const where = (f: SettingField) => (sources[f] ? describeSource(sources[f]) : 'default');
  // calicoctl's defaults: etcd v2 for the v2.x source; the destination defaults to the Kubernetes API.
  const datastoreType = raw.datastoreType ?? (scope === 'source' ? 'etcdv2' : 'kubernetes');
  const allowed: readonly string[] = scope === 'source' ? DATASTORE_TYPES : DESTINATION_DATASTORE_TYPES;
  if (!allowed.includes(datastoreType)) {
    throw new CalicoMigrateError('E_USAGE', `${scope === 'source' ? '' : 'destination '}datastoreType from ${where('datastoreType')} is ${JSON.stringify(datastoreType)}; expected ${allowed.join(', ')}`);
  }
  if (!raw.datastoreType) sources.datastoreType = { kind: 'default' };
  const endpoints = (raw.etcdEndpoints ?? DEFAULT_ENDPOINT).split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (!raw.etcdEndpoints) sources.etcdEndpoints = { kind: 'default' };
  for (const e of endpoints) {
    if (!/^https?:\/\/[^/]+\/?$/.test(e)) throw new CalicoMigrateError('E_USAGE', `etcd endpoint ${JSON.stringify(e)} from ${where('etcdEndpoints')} must look like http(s)://host:port`);
  }
  const settings: DatastoreSettings = {
    datastoreType: datastoreType as DatastoreType,
    etcdEndpoints: endpoints,
    ...pick(raw, ['etcdUsername', 'etcdPassword', 'etcdKeyFile', 'etcdCertFile', 'etcdCACertFile', 'kubeconfig', 'k8sAPIEndpoint', 'k8sCertFile', 'k8sKeyFile', 'k8sCAFile', 'k8sToken']),
    ...(raw.k8sInsecureSkipTLSVerify !== undefined ? { k8sInsecureSkipTLSVerify: parseBool('k8sInsecureSkipTLSVerify', raw.k8sInsecureSkipTLSVerify, where('k8sInsecureSkipTLSVerify')) } : {}),
  };
  return { settings, sources, notes };
}

function pick<K extends SettingField>(raw: Partial<Record<SettingField, string>>, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) {
    const v = raw[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Fields that matter for a datastore type (the others are not shown). */
function relevant(type: DatastoreType): readonly SettingField[] {
  return type === 'kubernetes'
    ? ['datastoreType', 'kubeconfig', 'k8sAPIEndpoint', 'k8sCertFile', 'k8sKeyFile', 'k8sCAFile', 'k8sToken', 'k8sInsecureSkipTLSVerify']
    : ['datastoreType', 'etcdEndpoints', 'etcdUsername', 'etcdPassword', 'etcdKeyFile', 'etcdCertFile', 'etcdCACertFile'];
}

/** One line per setting in use, with its source; secrets shown as `(set)`. */
export function describeSettings(resolved: ResolvedSettings): string[] {
  const s = resolved.settings;
  const lines: string[] = [];
  for (const field of relevant(s.datastoreType)) {
    const source = resolved.sources[field];
    if (!source) continue;
    const value = field === 'etcdEndpoints' ? s.etcdEndpoints.join(',') : (s as unknown as Record<string, unknown>)[field];
    const shown = SECRET_FIELDS.has(field) ? '(set)' : String(value);
    lines.push(`${field}=${shown}  [${describeSource(source)}]`);
  }
  return [...lines, ...resolved.notes.map((n) => `note: ${n}`)];
}
