/** Reads the live datastore the settings name. */
import { readEtcdV2, type LiveDump } from './etcd-v2.js';
import { readEtcdV3 } from './etcd-v3.js';
import type { Issue } from '../model/report.js';
import { clusterIssues, readKubernetes, type ClusterFacts } from './kubernetes.js';
import type { DatastoreSettings } from './settings.js';

export interface LiveRead extends LiveDump {
  readonly cluster?: ClusterFacts;
  /** What the source's state means for a migration (beyond its records). */
  readonly issues?: readonly Issue[];
}

export async function readLive(settings: DatastoreSettings, env?: Readonly<Record<string, string | undefined>>): Promise<LiveRead> {
  switch (settings.datastoreType) {
    case 'etcdv2':
      return readEtcdV2(settings);
    case 'etcdv3':
      return readEtcdV3(settings);
    case 'kubernetes': {
      const read = await readKubernetes(settings, env ? { env } : {});
      return { ...read, issues: clusterIssues(read.cluster) };
    }
  }
}

export type { LiveDump, ClusterFacts };
