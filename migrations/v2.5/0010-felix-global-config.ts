/**
 * Global Felix configuration → GlobalFelixConfig, one object per key: name = lowercased key,
 * `spec: {name, value}` with the key's case and the value verbatim. This is what the official
 * v2.5 migration job produced from GlobalConfig TPRs (calico v2.6.1 upgrade/v2.5/script/upgrade.sh)
 * and what libcalico-go v1.6 reads. Two keys differing only in case land on the same object and
 * are reported as a clash: Felix read them case-insensitively, so which one won was arbitrary.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { CRD_API_VERSION } from './common.js';

/** Keys Felix only reads from its local configuration; in the datastore they do nothing. */
const LOCAL_ONLY = new Set(['felixhostname', 'etcdaddr', 'etcdscheme', 'etcdkeyfile', 'etcdcertfile', 'etcdcafile', 'etcdendpoints']);

export const step = defineStep({
  id: '0010-felix-global-config',
  target: 'v2.5',
  summary: 'Global Felix configuration keys become GlobalFelixConfig objects named after the lowercased key.',
  handles: ['felix-global-config'],
  transform(items) {
    const out = new OutputBuilder();
    for (const item of items) {
      if (item.value.trim() === '') {
        out.skipped(item, 'empty-value', `Felix ignores an empty value for ${item.name}; there is nothing to carry over`);
        continue;
      }
      const id = out.emit(
        { apiVersion: CRD_API_VERSION, kind: 'GlobalFelixConfig', metadata: { name: item.name.toLowerCase() }, spec: { name: item.name, value: item.value } },
        [item],
      );
      const localOnly = LOCAL_ONLY.has(item.name.toLowerCase());
      out.converted(
        item,
        [id],
        localOnly
          ? { severity: 'info', code: 'local-only-key', message: `Felix reads ${item.name} only from its local configuration; it is copied but has no effect in the datastore` }
          : undefined,
      );
    }
    return out.build();
  },
});
