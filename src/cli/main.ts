/**
 * The command line: flags → options → command. The only place that maps errors to exit codes.
 * Exit codes (shared by every command): 0 done, 1 usage or runtime error, 2 changes pending,
 * 3 blocked by error records or blocker issues. Each command's module (and with it the Kubernetes
 * client, etcd3/grpc, listr2 and inquirer) is loaded only when that command runs, so that --help
 * and --version start at once.
 */
import { Command, CommanderError, Option } from 'commander';
import { TOOL_VERSION } from '../version.js';
import { CalicoMigrateError, EXIT } from '../errors.js';
import { INPUT_FORMATS, type InputFormat } from '../input/dump.js';
import { OUTPUT_FORMS, TARGET_VERSIONS, type OutputForm, type TargetVersion } from '../model/target.js';
import type { OutputFormat } from '../output/serialize.js';
import type { Mode, PermissionSource } from '../apply/permissions.js';
import { addSourceOptions } from './source.js';
import { addDestinationOptions } from './destination.js';
import type { CliIo } from './io.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Repeatable and comma-separated: `--ignore-preflight a,b --ignore-preflight c`. */
function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 0) throw new CalicoMigrateError('E_USAGE', `${name} must be a whole number, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

/** `--from-file` and `--input-format`: where the source is read from when it is not the live datastore. */
function addDumpOptions(cmd: Command): Command {
  return cmd
    .option('--from-file <path>', 'dump file to read (repeatable): etcd v2/v3 JSON, flat key map, or Kubernetes YAML/JSON; without it the live datastore is read', collect)
    .addOption(new Option('--input-format <format>', 'override format detection').choices([...INPUT_FORMATS]));
}

/** `--journal` and `--state-dir`, for the commands that read or write a journal. */
function addJournalOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--journal <file>', `journal file (default: ${what})`)
    .option('--state-dir <dir>', 'where applies keep their plans, journals and backups', '.')
    .addOption(new Option('--state <where>', 'target (the default): the run\'s plan, journal and backup in the target (Secrets in namespace calico-migrate, or etcd keys under /calico-migrate/state/), where any machine finds them; local: files in --state-dir (the default when --journal or --state-dir is given)').choices(['local', 'target']));
}

/** Where a command's run state is: as asked, or local files when --journal or --state-dir names them, else the target. */
function stateOf(cmd: Command): 'local' | 'target' {
  const o = cmd.opts<{ state?: 'local' | 'target'; journal?: string }>();
  if (o.state) return o.state;
  return o.journal !== undefined || cmd.getOptionValueSource('stateDir') === 'cli' ? 'local' : 'target';
}

/** `--run`: which run kept in the target a command works on. */
function addRunOption(cmd: Command): Command {
  return cmd.option('--run <id>', 'with --state target: the run (12 hex digits, as status --all lists them); default: the unfinished one, or else the latest');
}

/** The migration lock's options, for the commands that take it. */
function addLockOptions(cmd: Command): Command {
  return cmd
    .option('--lock-wait <seconds>', 'wait this long for a lock held by another run', positiveInt('--lock-wait'), 0)
    .option('--lock-ttl <seconds>', 'how long the lock stays valid without renewal (renewed every third of it)', positiveInt('--lock-ttl'), 60)
    .option('--force-unlock', 'remove the migration lock first (only when its holder is dead); logged in the journal', false);
}

/** plan and apply write to a cluster: only the crd form (what the Kubernetes datastore stores). */
function destinationForm(value: string): OutputForm {
  if (value !== 'crd' && value !== 'calicoctl') throw new CalicoMigrateError('E_USAGE', `--form ${value}: expected crd (a Kubernetes cluster) or calicoctl (an etcd v3 datastore, --target-datastore-type etcdv3)`);
  return value;
}

function program(io: CliIo, setExit: (code: number) => void): Command {
  const cmd = new Command('calico-migrate')
    .description('Convert Calico v2.4-era configuration to the CRD form of Calico v2.5 and later, accounting for every record.')
    .version(TOOL_VERSION, '-V, --version', 'print the version of calico-migrate')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  const convert = addDumpOptions(cmd.command('convert'))
    .description('convert dump files, or the live datastore, and print the target objects as a Kubernetes List')
    .addOption(new Option('--to <version>', 'target version').choices([...TARGET_VERSIONS]).makeOptionMandatory())
    .addOption(new Option('--form <form>', 'crd: Kubernetes-datastore storage objects; calicoctl: projectcalico.org/v3 resources (v3.0 only)').choices([...OUTPUT_FORMS]).default('crd'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--out-dir <dir>', 'write one file per object into this directory instead of a List on stdout')
    .option('--report <file>', 'write the JSON report (every record with its disposition) to this file')
    .option('--node-patches <file>', 'write the Node annotation changes as kubectl patch commands (a shell script); they are never in the List, which kubectl apply could turn into new Nodes')
    .option('--ipam-out <file>', 'calicoctl form: write the Calico IPAM keys (blocks, handles, affinities) for the etcd v3 datastore, one JSON {"key","value"} per line; calicoctl cannot create them')
    .action(async (o: { fromFile?: string[]; inputFormat?: InputFormat; to: TargetVersion; form: OutputForm; output: OutputFormat; outDir?: string; report?: string; nodePatches?: string; ipamOut?: string } & Record<string, unknown>) => {
      setExit(
        await (await import('./commands/convert.js')).runConvert(
          {
            fromFile: o.fromFile ?? [],
            source: o,
            to: o.to,
            form: o.form,
            output: o.output,
            ...(o.inputFormat ? { inputFormat: o.inputFormat } : {}),
            ...(o.outDir ? { outDir: o.outDir } : {}),
            ...(o.report ? { report: o.report } : {}),
            ...(o.nodePatches ? { nodePatches: o.nodePatches } : {}),
            ...(o.ipamOut ? { ipamOut: o.ipamOut } : {}),
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
      setExit(await (await import('./commands/detect.js')).runDetect({ to: o.to, output: o.output, source: o }, io));
    });
  addSourceOptions(detect);

  const exportCmd = cmd
    .command('export')
    .description('save what was read from the datastore as a dump file that convert --from-file reads (owner-only permissions)')
    .requiredOption('--out <file>', 'file to write')
    .action(async (o: { out: string } & Record<string, unknown>) => {
      setExit(await (await import('./commands/export.js')).runExport({ out: o.out, source: o }, io));
    });
  addSourceOptions(exportCmd);

  const planCmd = addDumpOptions(cmd.command('plan'))
    .description('dry run: read the source and the live cluster, and show per object what apply would do, with diffs and preflight findings; writes nothing (exit 0 nothing to do, 2 changes pending, 3 blocked)')
    .addOption(new Option('--to <version>', 'target version').choices([...TARGET_VERSIONS]).makeOptionMandatory())
    .option('--form <form>', 'crd (a Kubernetes cluster stores it; the default) or calicoctl (an etcd v3 datastore stores it); must fit the destination', destinationForm)
    .option('--out <file>', 'save the plan for apply --plan (JSON, owner-only permissions)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--diff-context <lines>', 'lines of context in diffs', positiveInt('--diff-context'), 3)
    .option('--overwrite', 'plan to overwrite objects this tool did not write (they are backed up first)', false)
    .option('--ignore-preflight <codes>', 'preflight findings to report without blocking (repeatable, comma-separated)', collectList)
    .option('--cut-over', 'etcd v3 destination: plan a cut-over (apply pauses the v2.x agents and writes ClusterInformation datastoreReady false)', false)
    .action(async (o: { fromFile?: string[]; inputFormat?: InputFormat; to: TargetVersion; form?: OutputForm; out?: string; output: 'text' | 'json'; diffContext: number; overwrite: boolean; ignorePreflight?: string[]; cutOver: boolean } & Record<string, unknown>) => {
      setExit(await (await import('./commands/plan.js')).runPlan({ fromFile: o.fromFile ?? [], ...(o.inputFormat ? { inputFormat: o.inputFormat } : {}), source: o, destination: o, to: o.to, ...(o.form ? { form: o.form } : {}), ...(o.out ? { out: o.out } : {}), output: o.output, diffContext: o.diffContext, overwrite: o.overwrite, ignorePreflight: o.ignorePreflight ?? [], cutOver: o.cutOver }, io));
    });
  addSourceOptions(planCmd);
  addDestinationOptions(planCmd);

  const applyCmd = addDumpOptions(cmd.command('apply'))
    .description('migrate: plan, confirm, then write to the cluster under a lock, journaled, verified (exit 0 applied or nothing to do, 1 error, 3 blocked)')
    .option('--plan <file>', 'apply this saved plan (a plan made from dumps re-reads them); refuses if the source or the target moved since it was made')
    .addOption(new Option('--to <version>', 'target version (taken from the plan with --plan)').choices([...TARGET_VERSIONS]))
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal, and with CI=true)', false)
    .addOption(new Option('--dry-run <mode>', 'server: send every write with dryRun=All; nothing is written').choices(['server']))
    .option('--overwrite', 'overwrite objects this tool did not write (backed up first)', false)
    .option('--concurrency <n>', 'writes in flight at once within one kind', positiveInt('--concurrency'), 16)
    .addOption(new Option('-o, --output <format>', 'text, or json (only the result on stdout)').choices(['text', 'json']).default('text'))
    .option('--ignore-preflight <codes>', 'preflight findings to report without blocking (repeatable, comma-separated)', collectList)
    .option('--diff-context <lines>', 'lines of context in diffs', positiveInt('--diff-context'), 3)
    .option('--cut-over', 'etcd v3 destination: pause the v2.x agents (/calico/v1/Ready=false) while writing, with ClusterInformation datastoreReady false until `complete` (implied by a plan made with it)', false)
    .option('--pause-settle <seconds>', 'with --cut-over: seconds to let Felix notice the pause before reading IPAM and endpoints again', positiveInt('--pause-settle'), 15);
  addJournalOptions(addLockOptions(applyCmd), 'next to the plan, or in --state-dir');
  applyCmd
    .action(async (o: { plan?: string; fromFile?: string[]; inputFormat?: InputFormat; to?: TargetVersion; yes: boolean; dryRun?: string; overwrite: boolean; concurrency: number; output: 'text' | 'json'; journal?: string; stateDir: string; lockWait: number; lockTtl: number; forceUnlock: boolean; ignorePreflight?: string[]; diffContext: number; cutOver: boolean; pauseSettle: number } & Record<string, unknown>) => {
      setExit(
        await (await import('./commands/apply.js')).runApply(
          {
            fromFile: o.fromFile ?? [],
            ...(o.inputFormat ? { inputFormat: o.inputFormat } : {}),
            source: o,
            ...(o.to ? { to: o.to } : {}),
            ...(o.plan ? { plan: o.plan } : {}),
            yes: o.yes,
            dryRun: o.dryRun === 'server',
            overwrite: o.overwrite,
            concurrency: Math.max(1, o.concurrency),
            output: o.output,
            ...(o.journal ? { journal: o.journal } : {}),
            stateDir: o.stateDir,
            lockWaitSeconds: o.lockWait,
            lockTtlSeconds: Math.max(5, o.lockTtl),
            forceUnlock: o.forceUnlock,
            ignorePreflight: o.ignorePreflight ?? [],
            diffContext: o.diffContext,
            destination: o,
            cutOver: o.cutOver,
            pauseSettleSeconds: o.pauseSettle,
            state: stateOf(applyCmd),
          },
          io,
        ),
      );
    });
  addSourceOptions(applyCmd);
  addDestinationOptions(applyCmd);

  const statusCmd = addRunOption(addJournalOptions(cmd.command('status'), 'the newest in --state-dir'))
    .description('show the migration lock (and whether it is stale), the last apply in the journal, and what is left to do')
    .option('--all', 'with --state target: list every run whose state is kept', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { journal?: string; stateDir: string; output: 'text' | 'json'; run?: string; all: boolean } & Record<string, unknown>) => {
      setExit(await (await import('./commands/status.js')).runStatus({ ...(o.journal ? { journal: o.journal } : {}), stateDir: o.stateDir, output: o.output, source: o, destination: o, state: stateOf(statusCmd), ...(o.run ? { run: o.run } : {}), all: o.all }, io));
    });
  addSourceOptions(statusCmd);
  addDestinationOptions(statusCmd);

  const rollbackCmd = addRunOption(addJournalOptions(addLockOptions(cmd.command('rollback')), 'the newest in --state-dir'))
    .description('undo the applies a journal recorded: restore what they overwrote, delete what they created, nothing else (exit 0 done, 3 some objects kept)')
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--force', 'also undo objects changed after the apply wrote them', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { journal?: string; stateDir: string; yes: boolean; force: boolean; forceUnlock: boolean; lockWait: number; lockTtl: number; output: 'text' | 'json'; run?: string } & Record<string, unknown>) => {
      setExit(await (await import('./commands/rollback.js')).runRollback({ ...(o.journal ? { journal: o.journal } : {}), stateDir: o.stateDir, yes: o.yes, force: o.force, forceUnlock: o.forceUnlock, lockWaitSeconds: o.lockWait, lockTtlSeconds: Math.max(5, o.lockTtl), output: o.output, source: o, destination: o, state: stateOf(rollbackCmd), ...(o.run ? { run: o.run } : {}) }, io));
    });
  addSourceOptions(rollbackCmd);
  addDestinationOptions(rollbackCmd);

  type CutOverFlags = { journal?: string; stateDir: string; output: 'text' | 'json'; lockWait: number; lockTtl: number; forceUnlock: boolean; force: boolean; run?: string } & Record<string, unknown>;
  const cutOverOptions = (o: CutOverFlags, c: Command) => ({ ...(o.journal ? { journal: o.journal } : {}), stateDir: o.stateDir, output: o.output, source: o, destination: o, lockWaitSeconds: o.lockWait, lockTtlSeconds: Math.max(5, o.lockTtl), forceUnlock: o.forceUnlock, force: o.force, state: stateOf(c), ...(o.run ? { run: o.run } : {}) });
  const completeCmd = addRunOption(addJournalOptions(addLockOptions(cmd.command('complete')), 'the newest in --state-dir'))
    .description('end a cut-over (apply --cut-over) once calico/node v3 is rolled out: set ClusterInformation datastoreReady true; calico/node v3 owns Nodes, IPAM and ClusterInformation from then on')
    .option('--force', 'complete even if the journal has planned writes left', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: CutOverFlags, c: Command) => setExit(await (await import('./commands/cut-over.js')).runComplete(cutOverOptions(o, c), io)));
  addDestinationOptions(completeCmd);
  const abortCmd = addRunOption(addJournalOptions(addLockOptions(cmd.command('abort')), 'the newest in --state-dir'))
    .description('call off a cut-over before complete: give the v1 ready flag back (the v2.x agents resume); the v3 data stays (rollback removes it)')
    .option('--force', 'abort even after complete, or with the source settings naming another etcd', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: CutOverFlags, c: Command) => setExit(await (await import('./commands/cut-over.js')).runAbort(cutOverOptions(o, c), io)));
  addSourceOptions(abortCmd);
  addDestinationOptions(abortCmd);

  const forgetCmd = cmd
    .command('forget <run>')
    .description('remove the state (journal, plan, backup) of one run kept in the target: a finished or rolled-back one, or an unfinished one with --force')
    .option('--force', 'also an unfinished run (it can then no longer be resumed or undone)', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (run: string, o: { force: boolean; output: 'text' | 'json' } & Record<string, unknown>) => setExit(await (await import('./commands/forget.js')).runForget({ run, force: o.force, output: o.output, source: o, destination: o }, io)));
  addSourceOptions(forgetCmd);
  addDestinationOptions(forgetCmd);

  const rbacCmd = cmd
    .command('rbac')
    .description('print the least-privilege ServiceAccount, ClusterRole, Role and bindings the chosen source and target need (YAML for kubectl apply)')
    .addOption(new Option('--to <version>', 'target version').choices([...TARGET_VERSIONS]).default('v2.5'))
    .addOption(new Option('--source <type>', 'where the source is read from (default: the datastore type of the settings)').choices(['etcdv2', 'etcdv3', 'kubernetes', 'files']))
    .addOption(new Option('--mode <mode>', 'what the account will run: plan (read only), dry-run (apply --dry-run=server), apply, rollback').choices(['plan', 'dry-run', 'apply', 'rollback']).default('apply'))
    .option('--kubernetes-version <version>', 'MAJOR.MINOR of the cluster (default: ask the cluster)')
    .option('--namespace <ns>', 'namespace of the ServiceAccount and the lock', 'kube-system')
    .option('--name <name>', 'name of the ServiceAccount and roles', 'calico-migrate')
    .addOption(new Option('--state <where>', 'where the runs keep their state: target (Secrets in namespace calico-migrate, which the manifest creates) or local files').choices(['target', 'local']).default('target'))
    .action(async (o: { to: TargetVersion; source?: PermissionSource; mode: Mode; kubernetesVersion?: string; namespace: string; name: string; state: 'target' | 'local' } & Record<string, unknown>) => {
      setExit(await (await import('./commands/rbac.js')).runRbac({ to: o.to, ...(o.source ? { sourceType: o.source } : {}), mode: o.mode, ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}), namespace: o.namespace, name: o.name, source: o, state: o.state, destination: o }, io));
    });
  addSourceOptions(rbacCmd);
  addDestinationOptions(rbacCmd);
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
    const oneLine = (m: string) => m.replace(/\s*\n\s*/g, ' ').trim();
    if (e instanceof CalicoMigrateError) {
      // One line, always: messages from TLS libraries and servers can carry their own newlines.
      io.stderr.write(`calico-migrate: error: ${oneLine(e.message)}\n`);
      return EXIT.error;
    }
    // The classes of the heavier modules are loaded only when an error needs telling apart.
    const { LockHeldError, LockLostError } = await import('../apply/lock.js');
    const { KubeApiError } = await import('../datastore/kube-client.js');
    if (e instanceof LockHeldError) {
      io.stderr.write(`calico-migrate: blocked: ${oneLine(e.message)}\n`);
      return EXIT.blocked;
    }
    if (e instanceof LockLostError) {
      io.stderr.write(`calico-migrate: error: the migration lock was lost: ${oneLine(e.message)}; see calico-migrate status\n`);
      return EXIT.error;
    }
    if (e instanceof KubeApiError) {
      const hint = e.status === 401 ? ' (check the credentials)' : e.status === 403 ? ` (grant it: calico-migrate rbac prints the least-privilege role)` : '';
      io.stderr.write(`calico-migrate: error: the Kubernetes API refused a request: ${oneLine(e.message)}${hint}\n`);
      return EXIT.error;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`calico-migrate: internal error: ${err.message}\nThis is a bug; please report it with the command you ran.\n`);
    if (process.env['CALICO_MIGRATE_DEBUG']) io.stderr.write(`${err.stack ?? ''}\n`);
    return EXIT.error;
  }
}
