/**
 * `calico-migrate rbac`: prints the least-privilege ServiceAccount, ClusterRole, Role and bindings
 * that plan, apply or rollback need for the chosen source and target, as YAML for kubectl apply.
 * The Kubernetes version (for the lock's kind, the DaemonSet's group and the RBAC API version) comes
 * from --kubernetes-version, or from the cluster the connection settings name.
 */
import { permissionsFor, type Mode, type PermissionSource } from '../../apply/permissions.js';
import { rbacApiVersionFor, rbacFor, rbacYaml } from '../../apply/rbac.js';
import { KubeClient } from '../../datastore/kube-client.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { TargetVersion } from '../../model/target.js';
import type { CliIo } from '../io.js';
import { resolveSource } from '../source.js';
import { resolveDestination } from '../destination.js';
import { etcdRoleScript } from '../../apply/etcd-role.js';

export interface RbacCliOptions {
  readonly to: TargetVersion;
  readonly sourceType?: PermissionSource;
  readonly mode: Mode;
  readonly kubernetesVersion?: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: Readonly<Record<string, unknown>>;
  /** Where the runs keep their state (in the cluster: Secrets in the tool's namespace). */
  readonly state?: 'local' | 'target';
  /** Destination flags: with `--target-datastore-type etcdv3`, the etcd role is printed instead. */
  readonly destination?: Readonly<Record<string, unknown>>;
}

export async function runRbac(opts: RbacCliOptions, io: CliIo): Promise<number> {
  if ((await resolveDestination(opts.destination ?? {}, io)).settings.datastoreType === 'etcdv3') {
    io.stdout.write(etcdRoleScript(opts.mode, opts.name));
    return EXIT.ok;
  }
  let minor: number;
  if (opts.kubernetesVersion) {
    const m = /^v?(\d+)\.(\d+)/.exec(opts.kubernetesVersion);
    if (!m) throw new CalicoMigrateError('E_USAGE', `--kubernetes-version ${opts.kubernetesVersion}: expected MAJOR.MINOR, e.g. 1.7`);
    minor = Number(m[2]);
  } else {
    try {
      const resolved = await resolveSource(opts.source, io);
      minor = (await KubeClient.fromSettings(resolved.settings, io.env ?? process.env).version()).minor;
    } catch (e) {
      throw new CalicoMigrateError('E_USAGE', `cannot ask the cluster for its version (${e instanceof Error ? e.message : String(e)}); give --kubernetes-version MAJOR.MINOR`, { cause: e });
    }
  }
  const resolvedType = opts.sourceType ?? (await resolveSource(opts.source, io)).settings.datastoreType;
  const input = {
    source: resolvedType,
    target: opts.to,
    mode: opts.mode,
    lockResource: minor >= 14 ? ('leases' as const) : ('configmaps' as const),
    daemonSetGroup: minor >= 9 ? ('apps' as const) : ('extensions' as const),
    state: opts.state ?? ('target' as const),
  };
  const header = `calico-migrate ${opts.mode} --to ${opts.to} from a ${resolvedType} source, Kubernetes 1.${minor}: least-privilege RBAC`;
  io.stdout.write(rbacYaml(rbacFor({ ...input, rbacApiVersion: rbacApiVersionFor(minor), namespace: opts.namespace, name: opts.name }), permissionsFor(input), header));
  return EXIT.ok;
}
