/**
 * The library API: each stage of the pipeline as a function, composed by the CLI.
 *
 * ```ts
 * import { decodeDump, convertDumps, serialize, toList } from 'calico-migrate/src/index.ts';
 * const dump = decodeDump('calico.json', text);            // read → raw records
 * const { objects, report, blocked } = convertDumps([dump], 'v3.0', 'crd'); // parse → migrate → validate → report
 * process.stdout.write(serialize(toList(objects), 'yaml'));
 * ```
 *
 * Against a live cluster, the plan and apply stages:
 *
 * ```ts
 * const client = KubeClient.fromSettings(settings);
 * const desired = desiredFrom(objects, report, 'v2.5', 'calico-migrate 0.2.0');   // what to write
 * const live = await readTarget(client, desired);                                // the cluster now
 * const entries = buildEntries(desired, live);                                   // create/update/unchanged/conflict/missing
 * process.stdout.write(planDiff(entries, live));                                 // unified YAML diffs
 * const results = await writeEntries({ client, planHash, entries: writesOf(entries, false), live, overwrite: false, dryRun: true, concurrency: 4 });
 * ```
 */
export { decodeDump, INPUT_FORMATS, type DecodedDump, type InputFormat, type RawRecord } from './input/dump.js';
export { parseDumps, type ParseResult } from './parse/index.js';
export { convertDumps, type ConvertResult } from './convert.js';
export { checkSteps, runSteps, type MigrationResult, type TargetDefinition } from './migrate/run.js';
export { defineStep, register, OutputBuilder, type Step, type RegisteredStep, type StepContext, type StepOutput } from './migrate/step.js';
export { STEPS } from '../migrations/index.js';
export { TARGETS } from './targets.js';
export { buildReport, isBlocked } from './report/build.js';
export { renderSummary } from './report/render.js';
export { serialize, serializeCalicoctl, sortKeys, toList, type OutputFormat } from './output/serialize.js';
export { readLive, type LiveRead } from './datastore/index.js';
export { readEtcdV2 } from './datastore/etcd-v2.js';
export { readEtcdV3 } from './datastore/etcd-v3.js';
export { readKubernetes, clusterIssues, type ClusterFacts } from './datastore/kubernetes.js';
export { resolveSettings, describeSettings, parseCalicoctlConfig, type DatastoreSettings, type ResolvedSettings } from './datastore/settings.js';
export { parseSelector, validateSelector, renameSelectorLabel, evaluateSelector, type SelectorNode } from './selector.js';
export { validateV3Object } from './v3/validate.js';
export { convertFelixKey, FELIX_FIELDS } from './v3/felix-config.js';
export { CalicoMigrateError, EXIT, type ErrorCode } from './errors.js';
export { KubeClient, KubeApiError, type ResourceType, type KubeObject } from './datastore/kube-client.js';
export { desiredFrom, type Desired } from './plan/desired.js';
export { readTarget, type LiveTarget } from './plan/live.js';
export { buildEntries, replan, summarize, writesOf } from './plan/build.js';
export { makePlan, readPlanFile, whatMoved } from './plan/file.js';
export { recordDigests } from './plan/fingerprint.js';
export { planDiff, entryDiff, externalDiff } from './plan/diff.js';
export type { Plan, PlanEntry, PlanAction, Finding } from './plan/types.js';
export { runPreflight, isBlocking } from './apply/preflight.js';
export { ensureCrds, inspectCrds, crdManifest, crdsNeeded } from './apply/crds.js';
export { acquireLock, readLock, forceUnlock, LockHeldError } from './apply/lock.js';
export { Journal, readJournal, type JournalRecord } from './apply/journal.js';
export { writeEntries, type WriteResult } from './apply/write.js';
export { verifyWritten } from './apply/verify.js';
export { rollbackUnderLock, startApply, tally, type RollbackEngineInput, type ApplyEngineInput, type ApplyEngineOptions, type ApplyOutcome, type ApplyRun, type EngineStage } from './apply/engine.js';
export { kubernetesDestination } from './destination/kubernetes.js';
export type { Destination, DestinationWrite, LockRequest, SchemaResult } from './destination/types.js';
export { rollbackJournal } from './apply/rollback.js';
export { journalStatus } from './apply/status.js';
export { permissionsFor } from './apply/permissions.js';
export { renderRbac, rbacYaml } from './apply/rbac.js';
export { checkAccess } from './apply/access-check.js';
export { nodePatchScript } from './output/node-patches.js';
export { ipamKeyLines, ipamKeyOf, ipamValueOf, isIpamObject, IPAM_API_VERSION } from './v3/ipam.js';
export type { Report, RecordOutcome, Issue, Rename, Disposition, Severity } from './model/report.js';
export type { TargetObject, TargetVersion, OutputForm } from './model/target.js';
export type { V1Item, V1Snapshot } from './model/v1.js';
