/**
 * Values the target does not read, left out after they are checked (`ParseOptions.unreadValues`).
 * What takes a value's place answers every read with an internal error naming the record type, so
 * a step that reads a value it declared unread fails loudly instead of converting from nothing.
 */
import { CalicoMigrateError } from '../errors.js';
import type { V1Item, V1ItemType } from '../model/v1.js';
import { remembered } from '../util.js';

/** The stand-in for the values of one item type (one per type): every property read throws E_INTERNAL. */
const unreadValue = remembered(
  (type: V1ItemType): object =>
    new Proxy(Object.freeze({}), {
      get(_target, property) {
        throw new CalicoMigrateError('E_INTERNAL', `the value of a ${type} record was read (${String(property)}), but a step of this target declared it unread and it was not kept; please report this as a bug`);
      },
    }),
);

/**
 * The item without its value, for the item types whose values are large and often unread: workload
 * and host endpoints, IPAM handles and blocks. Their keys' parts (host, workload, handle, CIDR) and
 * what the parser worked out (a block's allocated count and affinity) stay. Any other item is kept
 * whole. The item was made by the parser just before and is not shared: its field is replaced.
 */
export function withoutValue(item: V1Item): V1Item {
  const writable = item as { value?: unknown; blocks?: unknown; block?: unknown };
  switch (item.type) {
    case 'workload-endpoint':
    case 'host-endpoint':
      writable.value = unreadValue(item.type);
      break;
    case 'ipam-handle':
      writable.blocks = unreadValue(item.type);
      writable.value = unreadValue(item.type);
      break;
    case 'ipam-block':
      writable.block = unreadValue(item.type);
      break;
    default:
      break;
  }
  return item;
}
