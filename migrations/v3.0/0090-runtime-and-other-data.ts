/** Everything else a v2.4 keyspace or dump can hold; see `migrations/shared/other-data.ts`. */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { accountOtherData, OTHER_DATA_TYPES } from '../shared/other-data.js';

export const step = defineStep({
  id: '0090-runtime-and-other-data',
  target: 'v3.0',
  summary: 'Status and runtime keys, TPR definitions, custom BIRD filters, route-reflector keys and unknown data are skipped with a reason.',
  handles: OTHER_DATA_TYPES,
  transform(items) {
    const out = new OutputBuilder();
    accountOtherData(items, out, 'Calico v3.0');
    return out.build();
  },
});
