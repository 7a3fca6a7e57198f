/**
 * What the operator does after a successful apply, in order: the new RBAC, then the calico/node
 * rollout, then checks, and only then anything that destroys the source (a Kubernetes upgrade past
 * 1.7 deletes ThirdPartyResources). Paths are those of Calico's release documentation.
 */
import type { TargetVersion } from '../model/target.js';

const DOCS = 'https://docs.projectcalico.org';

export function nextSteps(to: TargetVersion, sourceIsKdd: boolean, journal: string | undefined): string[] {
  const v = to === 'v2.5' ? 'v2.5' : 'v3.0';
  const hosted = `${DOCS}/${v}/getting-started/kubernetes/installation/hosted`;
  const kinds = to === 'v2.5' ? 'globalfelixconfigs,globalbgpconfigs,ippools,bgppeers,globalnetworkpolicies' : 'clusterinformations,felixconfigurations,bgpconfigurations,ippools,bgppeers,globalnetworkpolicies';
  const steps = [
    `apply the Calico ${v} RBAC for the Kubernetes datastore (it lets calico/node read the objects just written): kubectl apply -f ${hosted}/rbac-kdd.yaml`,
    `roll out calico/node ${v} with the Kubernetes-datastore manifest (${hosted}/kubernetes-datastore/calico-networking/1.7/calico.yaml, adjusted to your settings), and watch: kubectl rollout status ds/calico-node -n kube-system`,
    `check what calico/node sees: kubectl get ${kinds.split(',').map((k) => `${k}.crd.projectcalico.org`).join(',')}`,
  ];
  if (to === 'v3.0') steps.push('roll out calico/kube-controllers v3.0, which takes over the namespace profiles and NetworkPolicy-derived policies');
  if (sourceIsKdd) steps.push('only after every node runs the new calico/node: upgrade Kubernetes past 1.7 (1.8 deletes the ThirdPartyResources, the old data), then delete them with kubectl delete thirdpartyresource <name>');
  if (journal) steps.push(`keep ${journal} until the rollout is done: calico-migrate rollback --journal ${journal} undoes exactly this apply`);
  return steps;
}

/** What to do after an apply to an etcd v3 datastore. */
export function etcdNextSteps(endpoints: string, journal: string | undefined): string[] {
  return [
    `roll out calico/node v3 (and calicoctl v3) with DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS=${endpoints}`,
    `check the objects with calicoctl get (DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=${endpoints})`,
    ...(journal ? [`to undo this apply: calico-migrate rollback --journal ${journal} --target-datastore-type etcdv3 --target-etcd-endpoints ${endpoints}`] : []),
  ];
}

/**
 * What to do after a cut-over apply: the v2.x agents are paused and the v3 datastore waits for
 * `complete`; the order matters, and each way back is named.
 */
export function cutOverNextSteps(endpoints: string, target: string, journal: string | undefined): string[] {
  return [
    `now, while the v2.x agents are paused (keep the window short; pods started meanwhile get no policy): roll out calico/node v3 with DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS=${endpoints}; its Felix waits, because ClusterInformation default says datastoreReady: false`,
    `when every node runs calico/node v3: calico-migrate complete ${target} (sets datastoreReady: true; calico/node v3 then owns Nodes, IPAM and ClusterInformation, and a rollback would delete live IPAM)`,
    'then roll out calico/kube-controllers v3 and calicoctl v3, and check with calicoctl get and calicoctl ipam show',
    `if the rollout goes wrong before complete: roll calico/node back to v2.x, then calico-migrate abort${journal ? ` --journal ${journal}` : ''} (gives the v2.x agents their datastore back; the v3 data stays), and calico-migrate rollback${journal ? ` --journal ${journal}` : ''} ${target} to remove the v3 data`,
  ];
}
