/** Reads the live datastore the settings name. */
import type { LiveDump } from './etcd-v2.js';
import type { Issue } from '../model/report.js';
import type { ClusterFacts } from './kubernetes.js';
import type { DatastoreSettings } from './settings.js';

export interface LiveRead extends LiveDump {
  readonly cluster?: ClusterFacts;
  /** What the source's state means for a migration (beyond its records). */
  readonly issues?: readonly Issue[];
}

export async function readLive(settings: DatastoreSettings, env?: Readonly<Record<string, string | undefined>>): Promise<LiveRead> {
  // Each reader loads only its own client: the etcd3/grpc and Kubernetes clients take most of a second to load.
  switch (settings.datastoreType) {
    case 'etcdv2':
      return (await import('./etcd-v2.js')).readEtcdV2(settings);
    case 'etcdv3':
      return (await import('./etcd-v3.js')).readEtcdV3(settings);
    case 'kubernetes': {
      const { clusterIssues, readKubernetes } = await import('./kubernetes.js');
      const read = await readKubernetes(settings, env ? { env } : {});
      return { ...read, issues: clusterIssues(read.cluster) };
    }
  }
}

export type { LiveDump, ClusterFacts };
