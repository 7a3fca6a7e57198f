/** `calico-migrate export`: save a live read as a dump file that `convert --from-file` reads. */
import { EXIT } from '../../errors.js';
import { resolvePath, writeFileAtomic, type CliIo } from '../io.js';
import { readSource } from '../source.js';

export async function runExport(opts: { readonly out: string; readonly source: Readonly<Record<string, unknown>> }, io: CliIo): Promise<number> {
  const { live } = await readSource(opts.source, io);
  // Owner-only: a dump can hold addresses, policy and (in annotations) anything operators put there.
  // The bytes as read when they are the text's own (no conversion back from text for a large keyspace).
  await writeFileAtomic(resolvePath(io.cwd, opts.out), live.bytes ?? live.text, 0o600);
  const fp = Object.entries(live.fingerprint).map(([k, v]) => `${k}=${v}`).join(' ');
  io.stderr.write(`exported ${live.dump.records.length} records (${live.dump.format}) to ${opts.out}\nfingerprint: ${fp}\n`);
  return EXIT.ok;
}
