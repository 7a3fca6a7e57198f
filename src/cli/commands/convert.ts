/** `calico-migrate convert`: offline conversion of dump files to a target version's CRD form. */
import { join } from 'node:path';
import { convertDumps } from '../../convert.js';
import { EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { OutputForm, TargetVersion } from '../../model/target.js';
import { serialize, toList, type OutputFormat } from '../../output/serialize.js';
import { renderSummary } from '../../report/render.js';
import { prepareOutDir, readDumps, resolvePath, writeFileAtomic, type CliIo } from '../io.js';
import { readSource } from '../source.js';

export interface ConvertOptions {
  /** Dump files; when empty, the live datastore named by the connection settings is read. */
  readonly fromFile: readonly string[];
  /** Connection flags (`--config`, `--datastore-type`, …) for a live read. */
  readonly source?: Readonly<Record<string, unknown>>;
  readonly inputFormat?: InputFormat;
  readonly to: TargetVersion;
  readonly form: OutputForm;
  readonly output: OutputFormat;
  readonly outDir?: string;
  readonly report?: string;
}

/** File name of one object in --out-dir: apply position, kind and name. */
function objectFileName(index: number, kind: string, name: string, format: OutputFormat): string {
  return `${String(index + 1).padStart(3, '0')}-${kind.toLowerCase()}-${name}.${format}`;
}

export async function runConvert(opts: ConvertOptions, io: CliIo): Promise<number> {
  const dumps = opts.fromFile.length > 0 ? await readDumps(opts.fromFile, io.cwd, opts.inputFormat) : [(await readSource(opts.source ?? {}, io)).live.dump];
  const result = convertDumps(dumps, opts.to, opts.form);

  let written: string;
  if (opts.outDir) {
    const dir = resolvePath(io.cwd, opts.outDir);
    await prepareOutDir(dir);
    for (const [i, o] of result.objects.entries()) {
      await writeFileAtomic(join(dir, objectFileName(i, o.kind, o.metadata.name, opts.output)), serialize(o, opts.output));
    }
    written = `written to ${opts.outDir}/ (one file each)`;
  } else {
    io.stdout.write(serialize(toList(result.objects), opts.output));
    written = 'written to stdout as a List';
  }
  if (opts.report) {
    await writeFileAtomic(resolvePath(io.cwd, opts.report), serialize(result.report, 'json'));
    written += `; report in ${opts.report}`;
  }
  io.stderr.write(renderSummary(result.report, written));
  return result.blocked ? EXIT.blocked : EXIT.ok;
}
