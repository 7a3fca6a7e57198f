/**
 * Where plan and apply write, as the command line names it: by default the Kubernetes cluster the
 * source settings' kubeconfig names (as before there were destinations); with
 * `--target-datastore-type etcdv3` (or TARGET_DATASTORE_TYPE, or a calicoctl v3 config file given
 * with --target-config), Calico v3's etcd v3 datastore.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeSettings, resolveSettings, settingNames, type ResolvedSettings, type SettingField } from '../datastore/settings.js';
import { CalicoMigrateError } from '../errors.js';
import { resolvePath, type CliIo } from './io.js';

/** The destination settings an etcd v3 destination uses (a Kubernetes destination is the source's cluster). */
const DESTINATION_FIELDS: readonly SettingField[] = ['datastoreType', 'etcdEndpoints', 'etcdUsername', 'etcdPassword', 'etcdKeyFile', 'etcdCertFile', 'etcdCACertFile'];

function attribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Adds `--target-config` and one `--target-…` flag per destination setting. */
export function addDestinationOptions(cmd: Command): Command {
  cmd.option('--target-config <file>', 'calicoctl v3 config file (kind: CalicoAPIConfig) of the datastore to write to');
  for (const field of DESTINATION_FIELDS) {
    const { flag, env } = settingNames(field, 'destination');
    cmd.option(`${flag} <value>`, `destination ${field} (environment ${env.join(' or ')})${field === 'datastoreType' ? ': etcdv3, or kubernetes (default: the cluster of the kubeconfig)' : ''}`);
  }
  return cmd;
}

/** The destination's settings: flag > TARGET_ environment > --target-config file > default (kubernetes). */
export async function resolveDestination(opts: Readonly<Record<string, unknown>>, io: CliIo): Promise<ResolvedSettings> {
  const flags: Partial<Record<SettingField, string>> = {};
  for (const field of DESTINATION_FIELDS) {
    const v = opts[attribute(settingNames(field, 'destination').flag)];
    if (typeof v === 'string') flags[field] = v;
  }
  let file: { path: string; text: string } | undefined;
  if (typeof opts['targetConfig'] === 'string') {
    const path = resolvePath(io.cwd, opts['targetConfig']);
    try {
      file = { path, text: await readFile(path, 'utf8') };
    } catch (e) {
      throw new CalicoMigrateError('E_USAGE', `${path}: cannot read the --target-config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  }
  return resolveSettings({ flags, env: io.env ?? process.env, ...(file ? { file } : {}), scope: 'destination' });
}

/** The lines that say which destination settings are used and where each came from (secrets as `(set)`). */
export function describeDestination(resolved: ResolvedSettings): string {
  return `destination settings:\n${describeSettings(resolved).map((l) => `  ${l}`).join('\n')}\n`;
}
