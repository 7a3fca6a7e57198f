/**
 * Global BGP configuration → GlobalBGPConfig, one object per key with the API-level key names
 * libcalico-go uses (`AsNumber`, `LogLevel`, `NodeMeshEnabled`; etcd stores them as `as_num`,
 * `loglevel` and `node_mesh` = `{"enabled":true}`). Values are written canonically: the AS number
 * as a plain number, the mesh flag as `true`/`false`.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { CRD_API_VERSION } from './common.js';

const BIRD_LOG_LEVELS = ['none', 'debug', 'info'];

export const step = defineStep({
  id: '0020-bgp-global-config',
  target: 'v2.5',
  summary: 'Global BGP settings (AS number, node-to-node mesh, BIRD log level) become GlobalBGPConfig objects.',
  handles: ['bgp-global-config', 'bgp-unknown-global-config'],
  transform(items) {
    const out = new OutputBuilder();
    for (const item of items) {
      if (item.type === 'bgp-unknown-global-config') {
        const id = out.emit({ apiVersion: CRD_API_VERSION, kind: 'GlobalBGPConfig', metadata: { name: item.name.toLowerCase() }, spec: { name: item.name, value: item.value } }, [item]);
        out.converted(item, [id], { severity: 'warning', code: 'unknown-bgp-config', message: `${item.name} is not a global BGP setting Calico reads; it is copied verbatim` });
        continue;
      }
      let value = item.value;
      let note: string | undefined;
      if (item.name === 'AsNumber' && item.asNumber !== undefined) value = String(item.asNumber);
      if (item.name === 'NodeMeshEnabled' && item.meshEnabled !== undefined) value = String(item.meshEnabled);
      if (item.name === 'LogLevel') {
        value = item.value.trim().toLowerCase();
        if (!BIRD_LOG_LEVELS.includes(value)) note = `BIRD log level ${JSON.stringify(item.value)} is not one of none, debug, info; calico/node treats it as none`;
      }
      const id = out.emit({ apiVersion: CRD_API_VERSION, kind: 'GlobalBGPConfig', metadata: { name: item.name.toLowerCase() }, spec: { name: item.name, value } }, [item]);
      if (item.store === 'kubernetes' && item.storedName !== item.name) {
        out.issue(item, 'info', 'bgp-config-name', `spec.name ${item.storedName} is written as ${item.name}, the name calico/node uses`);
      }
      out.converted(item, [id], note ? { severity: 'warning', code: 'bgp-log-level', message: note } : undefined);
    }
    return out.build();
  },
});
