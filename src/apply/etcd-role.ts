/**
 * The etcd v3 role a run needs in an etcd v3 destination with authentication on: key-prefix
 * permissions, the least that plan, apply and rollback use (the Calico v3 resources, Calico IPAM,
 * and the tool's own prefix for the lock and the runs' state), printed as etcdctl commands with
 * the reason for each. Pure.
 */
import { RESOURCES_PREFIX } from '../destination/etcdv3-layout.js';
import { IPAM_PREFIX } from '../v3/ipam.js';
import type { Mode } from './permissions.js';

export interface EtcdGrant {
  /** A key prefix. */
  readonly prefix: string;
  readonly permission: 'read' | 'readwrite';
  readonly why: string;
}

export function etcdGrantsFor(mode: Mode): EtcdGrant[] {
  const write = mode === 'apply' || mode === 'rollback';
  return [
    { prefix: RESOURCES_PREFIX, permission: write ? 'readwrite' : 'read', why: write ? 'compare the Calico v3 resources with the plan, write them (transactions), undo them' : 'compare the Calico v3 resources with the plan' },
    { prefix: IPAM_PREFIX, permission: write ? 'readwrite' : 'read', why: write ? 'compare and copy Calico IPAM (blocks, handles, affinities), undo the copy' : 'compare Calico IPAM with the plan' },
    { prefix: '/calico-migrate/', permission: write ? 'readwrite' : 'read', why: write ? 'the migration lock (a key bound to a lease) and the runs\' journal, plan and backup' : 'show the migration lock and the runs kept' },
  ];
}

/** The role as etcdctl v3 commands (`etcdctl role add`, `grant-permission --prefix`, the user and its role). */
export function etcdRoleScript(mode: Mode, role: string): string {
  const lines = [
    `# calico-migrate ${mode} to an etcd v3 datastore: the etcd role it needs when etcd authentication is on (etcdctl v3)`,
    '# The source is read separately: through the etcd v2 API it needs a v2 role that reads /calico* (and, for --cut-over,',
    '# writes /calico/v1/Ready); from a dump it needs nothing.',
    `etcdctl role add ${role}`,
  ];
  for (const g of etcdGrantsFor(mode)) lines.push(`# ${g.why}`, `etcdctl role grant-permission ${role} --prefix=true ${g.permission} ${g.prefix}`);
  lines.push(`etcdctl user add ${role}`, `etcdctl user grant-role ${role} ${role}`);
  return `${lines.join('\n')}\n`;
}
