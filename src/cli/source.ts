/** The datastore options every command shares, and turning them into a source to read. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CalicoMigrateError } from '../errors.js';
import type { LiveRead } from '../datastore/index.js';
import { describeSettings, resolveSettings, SETTING_FIELDS, SETTING_NAMES, type ResolvedSettings, type SettingField } from '../datastore/settings.js';
import type { CliIo } from './io.js';
import { resolvePath } from './io.js';

export const DEFAULT_CONFIG_PATH = '/etc/calico/calicoctl.cfg';

/** Commander attribute name of each setting's flag (`--etcd-ca-cert-file` → `etcdCaCertFile`). */
function attribute(field: SettingField): string {
  return SETTING_NAMES[field].flag
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Adds `--config` and one flag per connection setting. */
export function addSourceOptions(cmd: Command): Command {
  cmd.option('--config <file>', `calicoctl config file (default ${DEFAULT_CONFIG_PATH} when it exists)`);
  for (const field of SETTING_FIELDS) {
    const { flag, env } = SETTING_NAMES[field];
    cmd.option(`${flag} <value>`, `${field} (environment ${env.join(' or ')})`);
  }
  return cmd;
}

export async function resolveSource(opts: Readonly<Record<string, unknown>>, io: CliIo): Promise<ResolvedSettings> {
  const flags: Partial<Record<SettingField, string>> = {};
  for (const field of SETTING_FIELDS) {
    const v = opts[attribute(field)];
    if (typeof v === 'string') flags[field] = v;
  }
  const explicit = typeof opts['config'] === 'string' ? resolvePath(io.cwd, opts['config']) : undefined;
  const path = explicit ?? (existsSync(io.defaultConfigPath ?? DEFAULT_CONFIG_PATH) ? (io.defaultConfigPath ?? DEFAULT_CONFIG_PATH) : undefined);
  let file: { path: string; text: string } | undefined;
  if (path) {
    try {
      file = { path, text: await readFile(path, 'utf8') };
    } catch (e) {
      throw new CalicoMigrateError('E_USAGE', `${path}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  }
  return resolveSettings({ flags, env: io.env ?? process.env, ...(file ? { file } : {}) });
}

/** Resolves the settings, says which were used and where they came from, and reads the source. */
export async function readSource(opts: Readonly<Record<string, unknown>>, io: CliIo, settings?: ResolvedSettings): Promise<{ resolved: ResolvedSettings; live: LiveRead }> {
  const resolved = settings ?? (await resolveSource(opts, io));
  announceSource(resolved, io);
  // The datastore clients (etcd3/grpc, the Kubernetes client) load only when a live source is read.
  const { readLive } = await import('../datastore/index.js');
  const live = await readLive(resolved.settings, io.env ?? process.env);
  return { resolved, live };
}

/** Says which settings the source is read with, and where each came from. */
export function announceSource(resolved: ResolvedSettings, io: CliIo): void {
  io.stderr.write(`datastore settings:\n${describeSettings(resolved).map((l) => `  ${l}`).join('\n')}\n`);
}
