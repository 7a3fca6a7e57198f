/** `calico-migrate export`: save a live read as a dump file that `convert --from-file` reads. */
import { EXIT } from '../../errors.js';
import { resolvePath, writeFileAtomic, type CliIo } from '../io.js';
import type { ResolvedSettings } from '../../datastore/settings.js';
import { atomicFileWriter } from '../../output/files.js';
import { announceSource, readSource, resolveSource } from '../source.js';

// Every dump is written owner-only: it can hold addresses, policy and (in annotations) anything operators put there.

export async function runExport(opts: { readonly out: string; readonly source: Readonly<Record<string, unknown>> }, io: CliIo): Promise<number> {
  const resolved = await resolveSource(opts.source, io);
  if (resolved.settings.datastoreType === 'etcdv2') return exportV2(resolved, opts.out, io);
  const { live } = await readSource(opts.source, io, resolved);
  await writeFileAtomic(resolvePath(io.cwd, opts.out), live.text, 0o600);
  return exported(io, opts.out, live.dump.records.length, live.dump.format, live.fingerprint);
}

/**
 * An etcd v2 keyspace goes to the file as it arrives, byte for byte what curl would save: nothing
 * is held, hashed or parsed on the way (at 300k keys that took longer than the read itself). The
 * keys are counted and the answer checked to be one whole as they pass; `convert --from-file`
 * reads and checks every record, as it does any dump.
 */
async function exportV2(resolved: ResolvedSettings, out: string, io: CliIo): Promise<number> {
  announceSource(resolved, io);
  const { exportEtcdV2 } = await import('../../datastore/etcd-v2.js');
  const file = atomicFileWriter(resolvePath(io.cwd, out), 0o600);
  try {
    const done = await exportEtcdV2(resolved.settings, file);
    file.commit();
    return exported(io, out, done.keys, 'etcd-v2', done.fingerprint);
  } catch (e) {
    file.abort();
    throw e;
  }
}

/** Says what was saved where, and what pins it. */
function exported(io: CliIo, out: string, records: number, format: string, fingerprint: Readonly<Record<string, string>>): number {
  const fp = Object.entries(fingerprint).map(([k, v]) => `${k}=${v}`).join(' ');
  io.stderr.write(`exported ${records} records (${format}) to ${out}\nfingerprint: ${fp}\n`);
  return EXIT.ok;
}
