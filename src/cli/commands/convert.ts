/** `calico-migrate convert`: offline conversion of dump files to a target version's CRD form. */
import { isAbsolute, relative } from 'node:path';
import { convertDumps } from '../../convert.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { OutputForm, TargetVersion } from '../../model/target.js';
import { serialize, toList, type OutputFormat } from '../../output/serialize.js';
import { renderSummary } from '../../report/render.js';
import { readDumps, resolvePath, writeFileAtomic, writeOutDir, type CliIo } from '../io.js';
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
  if (opts.outDir && opts.report) {
    const rel = relative(resolvePath(io.cwd, opts.outDir), resolvePath(io.cwd, opts.report));
    if (!rel.startsWith('..') && !isAbsolute(rel)) {
      throw new CalicoMigrateError('E_USAGE', `--report ${opts.report} is inside --out-dir ${opts.outDir}; put the report elsewhere, so that the directory holds only objects to apply`);
    }
  }
  const live = opts.fromFile.length > 0 ? undefined : (await readSource(opts.source ?? {}, io)).live;
  const dumps = live ? [live.dump] : await readDumps(opts.fromFile, io.cwd, opts.inputFormat);
  const result = convertDumps(dumps, opts.to, opts.form, live ?? {});

  let written: string;
  if (opts.outDir) {
    const dir = resolvePath(io.cwd, opts.outDir);
    await writeOutDir(dir, result.objects.map((o, i) => ({ name: objectFileName(i, o.kind, o.metadata.name, opts.output), text: serialize(o, opts.output) })));
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
