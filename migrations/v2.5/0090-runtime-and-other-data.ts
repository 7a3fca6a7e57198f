/**
 * Everything else a v2.4 keyspace or dump can hold: status reports, the Ready flag, OpenStack
 * runtime keys, route-reflector and custom BIRD filter keys, TPR definitions, unrelated objects
 * and unknown keys. None has a place in the v2.5 CRD form; each is skipped with its reason, and
 * those an operator may have relied on are warnings with a hint.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { accountOtherData, OTHER_DATA_TYPES } from '../shared/other-data.js';

export const step = defineStep({
  id: '0090-runtime-and-other-data',
  target: 'v2.5',
  summary: 'Status and runtime keys, TPR definitions, custom BIRD filters, route-reflector keys and unknown data are skipped with a reason.',
  handles: OTHER_DATA_TYPES,
  transform(items) {
    const out = new OutputBuilder();
    accountOtherData(items, out, 'Calico v2.5');
    return out.build();
  },
});
