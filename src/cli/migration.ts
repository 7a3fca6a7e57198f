/**
 * The stages `plan` and `apply` share, as one object that carries what each stage produced:
 * connect → read source → convert → preflight → read target → plan. Each stage is one call into the
 * library; this file only wires them to the command's options and streams. Preflight runs after
 * the conversion because some of its checks are about the converted data (Calico IPAM in use, the
 * pools against the Nodes' pod CIDRs).
 */
import { convertDumps, type ConvertResult } from '../convert.js';
import { CalicoMigrateError } from '../errors.js';
import { KubeApiError } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { NAMESPACES } from '../datastore/calico-resources.js';
import type { LiveRead } from '../datastore/index.js';
import type { ResolvedSettings } from '../datastore/settings.js';
import type { DecodedDump, InputFormat } from '../input/dump.js';
import type { TargetVersion } from '../model/target.js';
import { buildEntries } from '../plan/build.js';
import { desiredFrom, type Desired } from '../plan/desired.js';
import { makePlan } from '../plan/file.js';
import { recordDigests } from '../plan/fingerprint.js';
import { readTarget, type LiveTarget } from '../plan/live.js';
import type { Finding, Plan, PlanEntry } from '../plan/types.js';
import { runPreflight, type PreflightFacts } from '../apply/preflight.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { datastorePreflight, withIgnored } from '../apply/preflight.js';
import { cutOverNextSteps, etcdNextSteps, nextSteps } from '../apply/next-steps.js';
import type { EtcdV3Destination } from '../destination/etcdv3.js';
import { kubernetesDestination } from '../destination/kubernetes.js';
import type { Destination } from '../destination/types.js';
import { desiredForEtcd } from '../plan/desired.js';
import type { OutputForm } from '../model/target.js';
import { describeDestination, resolveDestination } from './destination.js';
import { cutOverState, HANDED_OVER_KINDS, isHandedOverKey, pauseFindings, pendingClusterInformation, pinnedPart, volatileChanges, type CutOverState } from '../apply/cut-over.js';
import type { Replanned } from '../apply/engine.js';
import { openReadyFlag, type ReadyFlag } from '../datastore/ready-flag.js';
import { writesOf } from '../plan/build.js';
import { KubernetesStateStore } from '../state/kubernetes-store.js';
import type { StateStore } from '../state/types.js';
import { whatMoved } from '../plan/file.js';
import { readDumps, type CliIo } from './io.js';
import { readSource, resolveSource } from './source.js';

export interface MigrationOptions {
  /** Dump files; when empty the live datastore is read. */
  readonly fromFile: readonly string[];
  readonly inputFormat?: InputFormat;
  /** Connection flags (`--config`, `--datastore-type`, …). */
  readonly source: Readonly<Record<string, unknown>>;
  readonly to: TargetVersion;
  readonly mode: 'plan' | 'dry-run' | 'apply';
  readonly overwrite: boolean;
  readonly ignorePreflight: readonly string[];
  /** Destination flags (`--target-datastore-type`, …); absent: the source settings' Kubernetes cluster. */
  readonly destination?: Readonly<Record<string, unknown>>;
  /** A cut-over (etcd v3 destination, live etcd source): pause the v2.x agents while writing (src/apply/cut-over.ts). */
  readonly cutOver?: boolean;
  /** Where an apply keeps its run's state (the preflight checks the permissions it needs). */
  readonly state?: 'local' | 'target';
}

/** Findings the plan itself raises: conflicts (unless overwriting) and Calico hosts without a Node. */
export function planFindings(entries: readonly PlanEntry[], overwrite: boolean): Finding[] {
  const out: Finding[] = [];
  for (const e of entries) {
    if (e.pruned && e.pruned.length > 0) {
      out.push({ severity: 'error', code: 'crd-prunes-fields', message: `${e.key}: the CRD on the cluster has no field ${e.pruned.join(', ')}; the server would drop ${e.pruned.length === 1 ? 'it' : 'them'} from what is written`, hint: 'the installed Calico CRDs are older than the target or were edited: install the CRDs of the Calico release you are upgrading to (or remove them and let apply install its own), then plan again' });
    }
    if (e.action === 'missing') out.push({ severity: 'error', code: 'node-missing', message: e.reason ?? `Node ${e.name} does not exist`, hint: 'check that each Calico host name equals its Kubernetes Node name (calico/node uses the NODENAME or the host name); create no Node by hand for it' });
    if (e.action === 'conflict') {
      out.push(overwrite
        ? { severity: 'warning', code: 'overwrite', message: `${e.key} is not this tool's and will be overwritten; its current content is backed up first` }
        : { severity: 'error', code: 'conflict', message: e.reason ?? `${e.key} conflicts`, hint: 'compare the diff; apply with --overwrite to replace it (backed up first), or remove it' });
    }
  }
  return out;
}

/** The uid of namespace kube-system: the cluster's identity, however it is addressed (undefined if unreadable). */
export async function clusterId(client: KubeClient): Promise<string | undefined> {
  try {
    return (await client.get(NAMESPACES, 'kube-system'))?.metadata.uid;
  } catch {
    return undefined;
  }
}

/** One migration's state, stage by stage. */
export class Migration {
  readonly options: MigrationOptions;
  readonly io: CliIo;
  resolved?: ResolvedSettings;
  client?: KubeClient;
  /** The target's version, read once at connect. */
  version?: { readonly gitVersion: string; readonly minor: number };
  dumps?: readonly DecodedDump[];
  live?: LiveRead;
  conversion?: ConvertResult;
  desired?: Desired;
  preflight?: { findings: Finding[]; facts: PreflightFacts };
  target?: LiveTarget;
  entries?: PlanEntry[];
  plan?: Plan;
  /** An etcd v3 destination (Calico v3's etcd datastore), when the destination settings name one. */
  etcd?: EtcdV3Destination;
  /** The etcd cluster id of an etcd v3 destination. */
  etcdId?: string;
  destinationResolved?: ResolvedSettings;
  /** The source's v1 ready flag, for a cut-over. */
  readyFlag?: ReadyFlag;
  /** Where a cut-over stands in the destination (etcd v3), from its ClusterInformation. */
  cutOverState: CutOverState = 'none';

  constructor(options: MigrationOptions, io: CliIo) {
    this.options = options;
    this.io = io;
  }

  private need<T>(v: T | undefined, what: string): T {
    if (v === undefined) throw new Error(`internal: stage order (${what} missing)`);
    return v;
  }

  /** The form the destination stores: the CRD form on a cluster, the calicoctl form in etcd v3. */
  form(): OutputForm {
    return this.etcd ? 'calicoctl' : 'crd';
  }

  /** Where the apply writes. */
  destination(): Destination {
    if (this.etcd) return this.etcd;
    const client = this.need(this.client, 'client');
    return kubernetesDestination(client, client.server, this.options.to);
  }

  /** The state store in the destination (src/state/): Secrets on a cluster, keys in an etcd v3 datastore. */
  stateStore(): StateStore {
    if (this.etcd) return this.etcd.stateStore();
    return new KubernetesStateStore(this.need(this.client, 'client'));
  }

  /** Why `--dry-run=server` cannot be done here, if it cannot: no dry run in etcd, or a server older than 1.13. */
  dryRunRefusal(): string | undefined {
    if (this.etcd) return 'an etcd v3 datastore has no server-side dry run: use calico-migrate plan, which writes nothing';
    const server = this.client?.server ?? '';
    if ((this.version?.minor ?? 0) < 13) return `--dry-run=server needs Kubernetes 1.13 or later: ${server} runs ${this.version?.gitVersion ?? 'an unknown version'}, which ignores dryRun=All and would write for real; use calico-migrate plan, which writes nothing`;
    return undefined;
  }

  /** What the operator does next after an apply that wrote (and the journal that can undo it). */
  nextSteps(journal: string | undefined): string[] {
    if (this.etcd && this.options.cutOver) return cutOverNextSteps(this.etcd.address, `--target-datastore-type etcdv3 --target-etcd-endpoints ${this.etcd.address}`, journal);
    if (this.etcd) return etcdNextSteps(this.etcd.address, journal);
    return nextSteps(this.options.to, this.dumps?.some((d) => d.format === 'kubernetes') ?? false, journal);
  }

  /** Closes what connect opened (the etcd client keeps the process alive otherwise). */
  close(): void {
    this.etcd?.close();
    this.readyFlag?.close();
  }

  /**
   * Resolves the settings and connects to the destination: the target cluster (the one kubeconfig
   * or K8S_* names), or an etcd v3 datastore when the destination settings name one.
   */
  async connect(): Promise<string> {
    const destination = await resolveDestination(this.options.destination ?? {}, this.io);
    this.destinationResolved = destination;
    if (destination.settings.datastoreType === 'etcdv3') {
      if (this.options.to !== 'v3.0') throw new CalicoMigrateError('E_USAGE', `an etcd v3 datastore is Calico v3's: --to ${this.options.to} cannot be written there (use --to v3.0)`);
      this.resolved = await resolveSource(this.options.source, this.io);
      this.io.stderr.write(describeDestination(destination));
      // Each destination's client is loaded only when it is the one used (grpc, or the Kubernetes client).
      const { EtcdV3Destination } = await import('../destination/etcdv3.js');
      this.etcd = await EtcdV3Destination.open(destination.settings);
      this.etcdId = await this.etcd.identity();
      if (this.options.cutOver) {
        if (this.options.fromFile.length > 0) throw new CalicoMigrateError('E_USAGE', '--cut-over pauses the v2.x agents through the live etcd they run on: read the source from it (DATASTORE_TYPE=etcdv2 and ETCD_ENDPOINTS), not from dump files');
        this.readyFlag = await openReadyFlag(this.resolved.settings);
      }
      return `etcd v3 datastore ${this.etcd.address} (cluster ${this.etcdId})${this.readyFlag ? `; v1 ready flag ${this.readyFlag.address}` : ''}`;
    }
    if (this.options.cutOver) throw new CalicoMigrateError('E_USAGE', '--cut-over is for the etcd v3 destination (--target-datastore-type etcdv3): the Kubernetes datastore has no v1 ready flag to pause');
    this.resolved = await resolveSource(this.options.source, this.io);
    const { KubeClient } = await import('../datastore/kube-client.js');
    this.client = KubeClient.fromSettings(this.resolved.settings, this.io.env ?? process.env);
    this.version = await this.client.version();
    return `${this.client.server} runs Kubernetes ${this.version.gitVersion}`;
  }

  async readSource(): Promise<string> {
    if (this.options.fromFile.length > 0) {
      this.dumps = await readDumps(this.options.fromFile, this.io.cwd, this.options.inputFormat);
      return `${this.dumps.reduce((n, d) => n + d.records.length, 0)} records from ${this.options.fromFile.join(', ')}`;
    }
    this.live = (await readSource(this.options.source, this.io)).live;
    this.dumps = [this.live.dump];
    return `${this.live.dump.records.length} records from ${this.live.dump.path}`;
  }

  convert(): string {
    const dumps = this.need(this.dumps, 'source');
    this.conversion = convertDumps(dumps, this.options.to, this.form(), this.live ?? {});
    const tool = `${TOOL_NAME} ${TOOL_VERSION}`;
    const objects = this.options.cutOver ? [pendingClusterInformation(), ...this.conversion.objects] : this.conversion.objects;
    this.desired = this.etcd ? desiredForEtcd(objects, this.conversion.report, tool) : desiredFrom(this.conversion.objects, this.conversion.report, this.options.to, tool);
    const s = this.conversion.report.summary;
    return `${s.records} records: ${s.converted + s.convertedWithLoss} converted, ${s.skipped} skipped, ${s.errors} errors → ${this.desired.objects.length} objects, ${this.desired.nodePatches.length} Node patches`;
  }

  /** Where the source came from, as preflight and the permission list name it. */
  sourceType(): 'etcdv2' | 'etcdv3' | 'kubernetes' | 'files' {
    return this.options.fromFile.length > 0 ? 'files' : this.need(this.resolved, 'settings').settings.datastoreType;
  }

  async runPreflight(): Promise<string> {
    const conversion = this.need(this.conversion, 'conversion');
    if (this.etcd) {
      // What the destination already holds is checked when it is read (readTarget), in the same read.
      const findings = datastorePreflight(conversion.report, this.keyspaceFindings(), this.options.ignorePreflight);
      this.preflight = { findings, facts: { gitVersion: '', minor: 0, lockResource: 'leases', daemonSetGroup: 'apps' } };
      return `${findings.filter((f) => f.severity === 'error').length} blocking, ${findings.filter((f) => f.severity === 'warning').length} warnings`;
    }
    const sourceIsKdd = this.need(this.dumps, 'source').some((d) => d.format === 'kubernetes');
    this.preflight = await runPreflight({
      client: this.need(this.client, 'client'),
      target: this.options.to,
      mode: this.options.mode,
      source: this.sourceType(),
      sourceIsKdd,
      report: conversion.report,
      objects: conversion.objects,
      ignore: this.options.ignorePreflight,
      ...(this.options.state ? { state: this.options.state } : {}),
    });
    const errors = this.preflight.findings.filter((f) => f.severity === 'error').length;
    const warnings = this.preflight.findings.filter((f) => f.severity === 'warning').length;
    return `${errors} blocking, ${warnings} warnings`;
  }

  /**
   * A live etcd v3 source in the very etcd the destination is: its v1 keys and Calico v3's share
   * `/calico/ipam/v2/…`, so the copy would be converted in place. Refused.
   */
  private keyspaceFindings(): Finding[] {
    const source = this.resolved?.settings;
    if (!source || this.options.fromFile.length > 0 || source.datastoreType !== 'etcdv3' || !this.destinationResolved) return [];
    const norm = (e: string) => e.replace(/\/+$/, '').toLowerCase();
    const mine = new Set(this.destinationResolved.settings.etcdEndpoints.map(norm));
    if (!source.etcdEndpoints.some((e) => mine.has(norm(e)))) return [];
    return [{ severity: 'error', code: 'source-in-destination', message: `the source is the etcd v3 keyspace of ${source.etcdEndpoints.join(',')}, which is also the destination: the v1 keys (an etcd v3 copy of the v2 data) and Calico v3's share /calico/ipam/v2/, so writing there would convert the copy in place`, hint: 'read the source through the etcd v2 API of the same etcd (DATASTORE_TYPE=etcdv2), or from a dump, or write to another etcd' }];
  }

  /**
   * Calico v3 data this tool did not write already in the destination keyspace: maybe a Calico v3
   * datastore in use. Blocks unless --overwrite (objects the plan replaces are backed up first; the
   * others are left alone).
   */
  private foreignFindings(foreign: readonly string[]): Finding[] {
    if (foreign.length === 0) return [];
    const shown = `${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}`;
    return [this.options.overwrite
      ? { severity: 'warning', code: 'destination-not-empty', message: `the etcd v3 keyspace already holds ${foreign.length} Calico v3 object(s) this tool did not write (${shown}); --overwrite writes beside them and replaces only those the plan shows as conflicts, backed up first` }
      : { severity: 'error', code: 'destination-not-empty', message: `the etcd v3 keyspace already holds ${foreign.length} Calico v3 object(s) this tool did not write (${shown}): it may be a Calico v3 datastore in use`, hint: 'write to an etcd whose Calico v3 keyspace is empty, or apply with --overwrite to write beside those objects (any the plan replaces is backed up first)' }];
  }

  /** Why the target could not be read (refused): a blocking finding, and the plan has no entries. */
  targetRefusal?: Finding;
  /** What reading an etcd v3 destination found (Calico v3 data this tool did not write). */
  destinationFindings: Finding[] = [];

  async readTarget(): Promise<string> {
    if (this.etcd) {
      const { live, foreign } = await this.etcd.readAll(this.need(this.desired, 'conversion'));
      this.target = live;
      this.cutOverState = cutOverState(await this.etcd.readClusterInformation());
      // Once the cut-over is complete, what calico/node v3 adds (new blocks, Nodes) is its own, not someone else's data.
      const others = this.cutOverState === 'complete' ? foreign.filter((k) => !isHandedOverKey(k)) : foreign;
      this.destinationFindings = withIgnored([...this.foreignFindings(others), ...(await this.cutOverFindings())], this.options.ignorePreflight);
      return `${live.objects.size} Calico v3 objects read`;
    }
    try {
      this.target = await readTarget(this.need(this.client, 'client'), this.need(this.desired, 'conversion'));
    } catch (e) {
      if (!(e instanceof KubeApiError) || (e.status !== 401 && e.status !== 403)) throw e;
      this.targetRefusal = { severity: 'error', code: 'target-unreadable', message: `the live objects cannot be read: ${e.message}`, hint: 'grant the permissions the preflight lists (calico-migrate rbac prints them), then plan again' };
      this.target = { objects: new Map(), nodes: new Map(), unserved: new Set(), specSchemas: new Map() };
      return 'refused';
    }
    return `${this.target.objects.size} Calico objects and ${this.target.nodes.size} Nodes read`;
  }

  /** What a cut-over (or its completion) means for this plan. */
  private async cutOverFindings(): Promise<Finding[]> {
    const out: Finding[] = [];
    if (this.cutOverState === 'complete') {
      out.push({ severity: 'info', code: 'handed-over', message: 'the cut-over is complete (ClusterInformation default datastoreReady: true): ClusterInformation, Nodes and Calico IPAM are calico/node v3\'s now; they are not compared or written' });
      if (this.options.cutOver) out.push({ severity: 'error', code: 'cut-over-complete', message: 'the cut-over was completed: calico/node v3 owns this datastore, and pausing the v2.x agents again would do nothing but harm', hint: 'apply without --cut-over to write what is left; IPAM, Nodes and ClusterInformation stay calico/node v3\'s' });
    }
    if (!this.options.cutOver || !this.readyFlag) return out;
    out.push(...pauseFindings());
    const now = await this.readyFlag.read();
    if (now === 'false') out.push({ severity: 'warning', code: 'v1-already-paused', message: `${this.readyFlag.address} is already false: the v2.x agents are paused, by an earlier cut-over of this tool (apply resumes it) or by someone else (apply refuses to take over their pause)` });
    return out;
  }

  /** Plans against the live target; `overwrite` turns conflicts into overwrites (a warning, not a blocker). */
  async makePlan(): Promise<Plan> {
    const conversion = this.need(this.conversion, 'conversion');
    const dumps = this.need(this.dumps, 'source');
    // Planned against a target that could not be read, every object would look absent: no entries then.
    const entries = this.targetRefusal ? [] : buildEntries(this.need(this.desired, 'conversion'), this.need(this.target, 'target'));
    this.entries = this.cutOverState === 'complete' ? entries.filter((e) => !HANDED_OVER_KINDS.has(e.kind)) : entries;
    const findings = [...(this.preflight?.findings ?? []), ...this.destinationFindings, ...(this.targetRefusal ? [this.targetRefusal] : []), ...planFindings(this.entries, this.options.overwrite)];
    const report = conversion.report;
    const cluster = this.etcd
      ? { server: this.etcd.address, gitVersion: 'etcd v3', id: this.need(this.etcdId, 'etcd id') }
      : await (async () => {
          const client = this.need(this.client, 'client');
          const id = await clusterId(client);
          return { server: client.server, gitVersion: this.need(this.version, 'version').gitVersion, ...(id ? { id } : {}) };
        })();
    this.plan = makePlan({
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      target: this.options.to,
      form: this.form(),
      steps: report.steps,
      source: {
        type: report.source.type,
        files: report.source.files.map((f) => ({ path: f.path, format: f.format, sha256: f.sha256 })),
        ...(report.source.fingerprint ? { fingerprint: report.source.fingerprint } : {}),
        records: recordDigests(dumps, report),
      },
      cluster,
      ...(this.options.cutOver ? { cutOver: true as const } : {}),
      entries: this.entries,
      findings,
    });
    return this.plan;
  }

  /**
   * A cut-over's second look, after the pause: source and destination read and planned again. What
   * the plan pins (everything but IPAM and workload endpoints) must not have moved since `first`;
   * what did move in IPAM and endpoints is listed and written as it is now.
   */
  async replan(first: Plan): Promise<Replanned> {
    await this.readSource();
    this.convert();
    await this.runPreflight();
    await this.readTarget();
    const fresh = await this.makePlan();
    const moved = whatMoved(pinnedPart(first), pinnedPart(fresh));
    if (moved.length > 0) throw new CalicoMigrateError('E_TARGET_STATE', `what the plan pins moved before the pause took hold, so nothing was written: ${moved.slice(0, 5).join('; ')}${moved.length > 5 ? '; …' : ''}`);
    const blocking = fresh.findings.filter((f) => f.severity === 'error');
    if (blocking.length > 0) throw new CalicoMigrateError('E_TARGET_STATE', `read again after the pause, the migration is blocked: ${blocking.slice(0, 3).map((f) => f.message).join('; ')}`);
    return { plan: fresh, writes: writesOf(fresh.entries, this.options.overwrite), desired: this.need(this.desired, 'conversion'), live: this.need(this.target, 'target'), changes: volatileChanges(first, fresh) };
  }
}
