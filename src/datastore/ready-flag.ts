/**
 * The v1 datastore's ready flag, `/calico/v1/Ready`: `true` while the v2.x agents may run, `false`
 * to pause them (Felix 2.4 exits and then waits; see docs/etcdv3-destination.md for what else on
 * v2.4 does not honour it). Every change is a compare-and-swap, so that a flag someone else moved
 * is never overwritten: through the etcd v2 keys API (`prevValue`, `prevExist`) for an etcd v2
 * source, or an etcd v3 transaction for v1 keys kept in an etcd v3 keyspace.
 */
import type { Etcd3 } from 'etcd3';
import { CalicoMigrateError } from '../errors.js';
import { etcdV2Access } from './etcd-v2.js';
import { httpRequest, type HttpAnswer } from './http.js';
import type { DatastoreSettings } from './settings.js';

export const READY_KEY = '/calico/v1/Ready';

/** The flag was not what the swap expected: someone else changed it. */
export class ReadyFlagMoved extends Error {
  readonly now: string | undefined;
  constructor(address: string, expected: string | undefined, now: string | undefined) {
    super(`${address} is ${now === undefined ? 'absent' : JSON.stringify(now)}, not ${expected === undefined ? 'absent' : JSON.stringify(expected)} as expected: someone else changed it`);
    this.name = 'ReadyFlagMoved';
    this.now = now;
  }
}

export interface ReadyFlag {
  /** Where the flag is, e.g. `etcd v2 http://10.0.0.1:2379 /calico/v1/Ready`. */
  readonly address: string;
  /** The flag's value, or undefined when the key is absent. */
  read(): Promise<string | undefined>;
  /** Sets the flag to `to` (undefined: removes it) only while it is `from` (undefined: absent); ReadyFlagMoved otherwise. */
  swap(from: string | undefined, to: string | undefined): Promise<void>;
  close(): void;
}

function v2Error(address: string, what: string, a: HttpAnswer): CalicoMigrateError {
  return new CalicoMigrateError('E_SOURCE_PROTOCOL', `${address}: ${what} answered HTTP ${a.status}: ${a.body.trim().slice(0, 200)}`);
}

async function v2Flag(settings: DatastoreSettings): Promise<ReadyFlag> {
  const access = await etcdV2Access(settings);
  const endpoint = (settings.etcdEndpoints[0] ?? '').replace(/\/$/, '');
  const address = `etcd v2 ${endpoint} ${READY_KEY}`;
  const url = `${endpoint}/v2/keys${READY_KEY}`;
  const opts = { tls: access.tls, ...(access.auth ? { auth: access.auth } : {}) };
  const read = async (): Promise<string | undefined> => {
    const a = await httpRequest('GET', `${url}?quorum=true`, opts);
    if (a.status === 404) return undefined;
    if (a.status !== 200) throw v2Error(address, 'reading the flag', a);
    return (JSON.parse(a.body) as { node?: { value?: string } }).node?.value;
  };
  return {
    address,
    read,
    swap: async (from, to) => {
      const cond = from === undefined ? { prevExist: 'false' } : { prevValue: from };
      const a = to === undefined
        ? await httpRequest('DELETE', `${url}?${new URLSearchParams(cond).toString()}`, opts)
        : await httpRequest('PUT', url, { ...opts, form: { value: to, ...cond } });
      // 412: the compare failed; 404: a prevValue on a key that is gone.
      if (a.status === 412 || a.status === 404) throw new ReadyFlagMoved(address, from, await read());
      if (a.status !== 200 && a.status !== 201) throw v2Error(address, 'setting the flag', a);
    },
    close: () => undefined,
  };
}

async function v3Flag(settings: DatastoreSettings): Promise<ReadyFlag> {
  const { etcdClient } = await import('./etcd-v3.js');
  const etcd: Etcd3 = await etcdClient(settings);
  const address = `etcd v3 ${settings.etcdEndpoints.join(',')} ${READY_KEY}`;
  const read = async (): Promise<string | undefined> => (await etcd.get(READY_KEY).string()) ?? undefined;
  return {
    address,
    read,
    swap: async (from, to) => {
      const cmp = from === undefined ? etcd.if(READY_KEY, 'Create', '==', 0) : etcd.if(READY_KEY, 'Value', '==', from);
      const r = await cmp.then(to === undefined ? etcd.delete().key(READY_KEY) : etcd.put(READY_KEY).value(to)).commit();
      if (!r.succeeded) throw new ReadyFlagMoved(address, from, await read());
    },
    close: () => etcd.close(),
  };
}

/** The ready flag of a live etcd source; a source without one (a dump, the Kubernetes datastore) cannot be paused. */
export async function openReadyFlag(settings: DatastoreSettings): Promise<ReadyFlag> {
  if (settings.datastoreType === 'etcdv2') return v2Flag(settings);
  if (settings.datastoreType === 'etcdv3') return v3Flag(settings);
  throw new CalicoMigrateError('E_USAGE', `a ${settings.datastoreType} source has no /calico/v1/Ready flag to pause the v2.x agents with: the cut-over needs the live etcd the v2.x cluster runs on as the source`);
}
