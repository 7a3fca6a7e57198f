/** `calico-migrate export`: save a live read as a dump file that `convert --from-file` reads. */
import { EXIT } from '../../errors.js';
import { resolvePath, writeFileAtomic, type CliIo } from '../io.js';
import type { ResolvedSettings } from '../../datastore/settings.js';
import { atomicFileWriter } from '../../output/files.js';
import { announceSource, readSource, resolveSource } from '../source.js';

export async function runExport(opts: { readonly out: string; readonly source: Readonly<Record<string, unknown>> }, io: CliIo): Promise<number> {
  const resolved = await resolveSource(opts.source, io);
  if (resolved.settings.datastoreType === 'etcdv2') return exportV2(resolved, opts.out, io);
  const { live } = await readSource(opts.source, io, resolved);
  // Owner-only: a dump can hold addresses, policy and (in annotations) anything operators put there.
  await writeFileAtomic(resolvePath(io.cwd, opts.out), live.text, 0o600);
  const fp = Object.entries(live.fingerprint).map(([k, v]) => `${k}=${v}`).join(' ');
  io.stderr.write(`exported ${live.dump.records.length} records (${live.dump.format}) to ${opts.out}\nfingerprint: ${fp}\n`);
  return EXIT.ok;
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
  // Owner-only: a dump can hold addresses, policy and (in annotations) anything operators put there.
  const file = atomicFileWriter(resolvePath(io.cwd, out), 0o600);
  try {
    const done = await exportEtcdV2(resolved.settings, file);
    file.commit();
    const fp = Object.entries(done.fingerprint).map(([k, v]) => `${k}=${v}`).join(' ');
    io.stderr.write(`exported ${done.keys} records (etcd-v2) to ${out}\nfingerprint: ${fp}\n`);
    return EXIT.ok;
  } catch (e) {
    file.abort();
    throw e;
  }
}
