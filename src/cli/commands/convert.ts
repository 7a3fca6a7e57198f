/** `calico-migrate convert`: offline conversion of dump files to a target version's CRD form. */
import { isAbsolute, relative } from 'node:path';
import { convertDumps } from '../../convert.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { OutputForm, TargetVersion } from '../../model/target.js';
import { jsonPieces } from '../../output/json.js';
import { calicoctlPieces, serialize, toList, type OutputFormat } from '../../output/serialize.js';
import { isNodePatch, nodePatchScript } from '../../output/node-patches.js';
import { ipamKeyLines, ipamKeyPieces, isIpamObject } from '../../v3/ipam.js';
import { renderSummary } from '../../report/render.js';
import { readDumps, resolvePath, writeFileAtomic, writeOutDir, writeStream, type CliIo } from '../io.js';
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
  /** Where the Node annotation patches go, as a kubectl script (in --out-dir: node-patches.sh there). */
  readonly nodePatches?: string;
  /** Where the Calico IPAM keys of the calicoctl form go (in --out-dir: IPAM_FILE there). */
  readonly ipamOut?: string;
}

/** The script file --out-dir holds beside the objects; kubectl apply -f DIR reads only .yaml/.yml/.json. */
export const NODE_PATCH_FILE = 'node-patches.sh';
/** The IPAM keys file --out-dir holds in the calicoctl form; neither kubectl nor calicoctl reads .jsonl. */
export const IPAM_FILE = 'calico-ipam-keys.jsonl';

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
  // The dumps are not kept past the conversion: at large sizes their records are much of the heap.
  const result = convertDumps(live ? [live.dump] : await readDumps(opts.fromFile, io.cwd, opts.inputFormat), opts.to, opts.form, live ?? {});

  let written: string;
  const objects = result.objects.filter((o) => !isNodePatch(o) && !isIpamObject(o));
  const patches = result.objects.filter(isNodePatch);
  const ipam = result.objects.filter(isIpamObject);
  const script = patches.length > 0 ? nodePatchScript(patches, opts.to) : undefined;
  if (opts.ipamOut && opts.form !== 'calicoctl') throw new CalicoMigrateError('E_USAGE', '--ipam-out is for the calicoctl form (the etcd v3 datastore); the Kubernetes datastore takes no Calico IPAM data');
  if (opts.outDir) {
    const dir = resolvePath(io.cwd, opts.outDir);
    const files = objects.map((o, i) => ({ name: objectFileName(i, o.kind, o.metadata.name, opts.output), text: serialize(o, opts.output) }));
    if (script) files.push({ name: NODE_PATCH_FILE, text: script });
    if (ipam.length > 0) files.push({ name: IPAM_FILE, text: ipamKeyLines(ipam) });
    await writeOutDir(dir, files);
    written = `${objects.length} objects written to ${opts.outDir}/ (one file each${script ? `; ${patches.length} Node annotation patch(es) as kubectl commands in ${NODE_PATCH_FILE}` : ''}${ipam.length > 0 ? `; ${ipam.length} Calico IPAM keys in ${IPAM_FILE}` : ''})`;
  } else if (opts.form === 'calicoctl') {
    await writeStream(io.stdout, calicoctlPieces(objects, opts.output));
    written = `${objects.length} objects written to stdout as ${opts.output === 'json' ? 'a JSON array' : 'YAML documents'} for calicoctl create -f`;
  } else {
    io.stdout.write(serialize(toList(objects), opts.output));
    written = `${objects.length} objects written to stdout as a List`;
  }
  if (opts.nodePatches) {
    // Always written, even empty: a script left from an earlier run must never be run again by mistake.
    await writeFileAtomic(resolvePath(io.cwd, opts.nodePatches), script ?? nodePatchScript([], opts.to), 0o755);
    written += `; ${patches.length} Node annotation patch(es) as kubectl commands in ${opts.nodePatches}`;
  } else if (script && !opts.outDir) {
    written += `; ${patches.length} Node annotation patch(es) are not in the List (applied as objects they could create Nodes): write them with --node-patches FILE, or let calico-migrate apply patch the Nodes`;
  }
  if (opts.ipamOut) {
    // Always written, even empty, as the Node patches are.
    await writeFileAtomic(resolvePath(io.cwd, opts.ipamOut), ipamKeyPieces(ipam));
    written += `; ${ipam.length} Calico IPAM keys in ${opts.ipamOut}`;
  } else if (ipam.length > 0 && !opts.outDir) {
    written += `; ${ipam.length} Calico IPAM keys (blocks, handles, affinities) are not calicoctl resources and are not on stdout: calico-migrate apply --target-datastore-type etcdv3 writes them, or --ipam-out FILE saves them`;
  }
  if (opts.report) {
    await writeFileAtomic(resolvePath(io.cwd, opts.report), jsonPieces(result.report));
    written += `; report in ${opts.report}`;
  }
  io.stderr.write(renderSummary(result.report, written));
  return result.blocked ? EXIT.blocked : EXIT.ok;
}
