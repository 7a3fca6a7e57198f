/**
 * BGP configuration → v3 BGPConfiguration: `default` from the global AsNumber, NodeMeshEnabled and
 * LogLevel (as the upstream migrator), and `node.<name>` for a per-node BIRD log level, which v3
 * supports and upstream dropped. BIRD's `none` has no v3 log level (v3 accepts Debug, Info, Warning,
 * Error, Fatal; BIRD maps anything but debug/info back to none), so `none` becomes `Warning`,
 * which BIRD also renders as none, instead of upstream's `Info`, which would turn BIRD logging on.
 * Keys Calico never defined are kept as `config.projectcalico.org/<key>` annotations.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { normalizeName } from '../../src/names.js';
import { v3Object } from './common.js';

/** BIRD log level (v1) → v3 logSeverityScreen, or undefined when it cannot be read. */
export function birdLogLevel(value: string): { level: string; note?: string } | undefined {
  switch (value.trim().toLowerCase()) {
    case 'debug':
      return { level: 'Debug' };
    case 'info':
      return { level: 'Info' };
    case 'none':
      return { level: 'Warning', note: 'BIRD log level none has no v3 equivalent; written as Warning, which BIRD also renders as none (upstream writes Info, which would turn BIRD logging on)' };
    case 'warning':
      return { level: 'Warning' };
    case 'error':
      return { level: 'Error' };
    case 'critical':
    case 'fatal':
      return { level: 'Fatal' };
    default:
      return undefined;
  }
}

type Item = ItemOf<'bgp-global-config' | 'bgp-unknown-global-config' | 'bgp-host-loglevel'>;

export const step = defineStep({
  id: '0020-bgp-config',
  target: 'v3.0',
  summary: 'Global BGP settings become BGPConfiguration default; a per-node BIRD log level becomes BGPConfiguration node.<name>.',
  handles: ['bgp-global-config', 'bgp-unknown-global-config', 'bgp-host-loglevel'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    const objects = new Map<string, { spec: Record<string, unknown>; annotations: Record<string, string>; fed: Item[]; renameFrom?: string }>();
    const objectFor = (name: string) => {
      const o = objects.get(name) ?? { spec: {}, annotations: {}, fed: [] };
      objects.set(name, o);
      return o;
    };
    for (const item of items) {
      if (item.type === 'bgp-unknown-global-config') {
        const o = objectFor('default');
        o.annotations[`config.projectcalico.org/${item.name}`] = item.value;
        o.fed.push(item);
        out.issue(item, 'warning', 'unknown-bgp-config', `${item.name} is not a BGP setting Calico defines; kept as annotation config.projectcalico.org/${item.name}`);
        continue;
      }
      if (item.type === 'bgp-host-loglevel' || item.name === 'LogLevel') {
        const level = birdLogLevel(item.value);
        if (!level) {
          out.failed(item, 'invalid-log-level', `BIRD log level ${JSON.stringify(item.value)} is not one of none, debug, info (or warning, error, critical)`);
          continue;
        }
        const name = item.type === 'bgp-host-loglevel' ? `node.${normalizeName(item.host)}` : 'default';
        const o = objectFor(name);
        o.spec['logSeverityScreen'] = level.level;
        o.fed.push(item);
        if (level.note) out.issue(item, 'info', 'bird-log-level-none', level.note);
        continue;
      }
      const o = objectFor('default');
      if (item.name === 'AsNumber') o.spec['asNumber'] = item.asNumber;
      else o.spec['nodeToNodeMeshEnabled'] = item.meshEnabled;
      o.fed.push(item);
    }
    for (const [name, o] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const id = out.emit(v3Object(form, 'BGPConfiguration', name, o.spec, { annotations: o.annotations }), o.fed);
      for (const item of o.fed) out.converted(item, [id]);
    }
    return out.build();
  },
});
