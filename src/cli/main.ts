/**
 * The command line: flags → options → command. The only place that maps errors to exit codes.
 * Exit codes (shared by every command): 0 done, 1 usage or runtime error, 2 changes pending,
 * 3 blocked by error records or blocker issues.
 */
import { Command, CommanderError, Option } from 'commander';
import { CalicoMigrateError, EXIT } from '../errors.js';
import { INPUT_FORMATS, type InputFormat } from '../input/dump.js';
import { OUTPUT_FORMS, TARGET_VERSIONS, type OutputForm, type TargetVersion } from '../model/target.js';
import type { OutputFormat } from '../output/serialize.js';
import { runConvert } from './commands/convert.js';
import { runDetect } from './commands/detect.js';
import { runExport } from './commands/export.js';
import { addSourceOptions } from './source.js';
import type { CliIo } from './io.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function program(io: CliIo, setExit: (code: number) => void): Command {
  const cmd = new Command('calico-migrate')
    .description('Convert Calico v2.4-era configuration to the CRD form of Calico v2.5 and later, accounting for every record.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  const convert = cmd
    .command('convert')
    .description('convert dump files, or the live datastore, and print the target objects as a Kubernetes List')
    .option('--from-file <path>', 'dump file to read (repeatable): etcd v2/v3 JSON, flat key map, or Kubernetes YAML/JSON; without it the live datastore is read', collect)
    .addOption(new Option('--input-format <format>', 'override format detection').choices([...INPUT_FORMATS]))
    .addOption(new Option('--to <version>', 'target version').choices([...TARGET_VERSIONS]).makeOptionMandatory())
    .addOption(new Option('--form <form>', 'crd: Kubernetes-datastore storage objects; calicoctl: projectcalico.org/v3 resources (v3.0 only)').choices([...OUTPUT_FORMS]).default('crd'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--out-dir <dir>', 'write one file per object into this directory instead of a List on stdout')
    .option('--report <file>', 'write the JSON report (every record with its disposition) to this file')
    .action(async (o: { fromFile?: string[]; inputFormat?: InputFormat; to: TargetVersion; form: OutputForm; output: OutputFormat; outDir?: string; report?: string } & Record<string, unknown>) => {
      setExit(
        await runConvert(
          {
            fromFile: o.fromFile ?? [],
            source: o,
            to: o.to,
            form: o.form,
            output: o.output,
            ...(o.inputFormat ? { inputFormat: o.inputFormat } : {}),
            ...(o.outDir ? { outDir: o.outDir } : {}),
            ...(o.report ? { report: o.report } : {}),
          },
          io,
        ),
      );
    });
  addSourceOptions(convert);

  const detect = cmd
    .command('detect')
    .description('connect to the datastore and describe it: source, Calico version, record counts, visible blockers, fingerprint')
    .addOption(new Option('--to <version>', 'target whose blockers to report').choices([...TARGET_VERSIONS]).default('v2.5'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { to: TargetVersion; output: 'text' | 'json' } & Record<string, unknown>) => {
      setExit(await runDetect({ to: o.to, output: o.output, source: o }, io));
    });
  addSourceOptions(detect);

  const exportCmd = cmd
    .command('export')
    .description('save what was read from the datastore as a dump file that convert --from-file reads (owner-only permissions)')
    .requiredOption('--out <file>', 'file to write')
    .action(async (o: { out: string } & Record<string, unknown>) => {
      setExit(await runExport({ out: o.out, source: o }, io));
    });
  addSourceOptions(exportCmd);
  return cmd;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exit: number = EXIT.ok;
  try {
    await program(io, (code) => (exit = code)).parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; every parse error is a usage error.
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    if (e instanceof CalicoMigrateError) {
      // One line, always: messages from TLS libraries and servers can carry their own newlines.
      io.stderr.write(`calico-migrate: error: ${e.message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
      return EXIT.error;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`calico-migrate: internal error: ${err.message}\nThis is a bug; please report it with the command you ran.\n`);
    if (process.env['CALICO_MIGRATE_DEBUG']) io.stderr.write(`${err.stack ?? ''}\n`);
    return EXIT.error;
  }
}
