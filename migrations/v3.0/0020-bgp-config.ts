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
    // One value per object and field: two records landing on the same slot (two hosts whose names
    // normalise alike, or the same key from two sources) are both errors, never a silent last-wins.
    const slots = new Map<string, { object: string; field: string; value: unknown; items: Item[] }>();
    const place = (item: Item, object: string, field: string, value: unknown) => {
      const key = `${object}\u0000${field}`;
      const slot = slots.get(key) ?? { object, field, value, items: [] };
      slot.items.push(item);
      slots.set(key, slot);
    };
    for (const item of items) {
      if (item.type === 'bgp-unknown-global-config') {
        place(item, 'default', `annotation:config.projectcalico.org/${item.name}`, item.value);
        out.issue(item, 'warning', 'unknown-bgp-config', `${item.name} is not a BGP setting Calico defines; kept as annotation config.projectcalico.org/${item.name}`);
      } else if (item.type === 'bgp-host-loglevel' || item.name === 'LogLevel') {
        const level = birdLogLevel(item.value);
        if (!level) {
          out.failed(item, 'invalid-log-level', `BIRD log level ${JSON.stringify(item.value)} is not one of none, debug, info (or warning, error, critical)`);
          continue;
        }
        place(item, item.type === 'bgp-host-loglevel' ? `node.${normalizeName(item.host)}` : 'default', 'logSeverityScreen', level.level);
        if (level.note) out.issue(item, 'info', 'bird-log-level-none', level.note);
      } else if (item.name === 'AsNumber') {
        place(item, 'default', 'asNumber', item.asNumber);
      } else {
        place(item, 'default', 'nodeToNodeMeshEnabled', item.meshEnabled);
      }
    }
    const objects = new Map<string, { spec: Record<string, unknown>; annotations: Record<string, string>; fed: Item[] }>();
    for (const slot of slots.values()) {
      if (slot.items.length > 1) {
        const origins = slot.items.map((i) => i.origin).join(', ');
        for (const item of slot.items) out.failed(item, 'name-clash', `${origins} all set ${slot.field.replace(/^annotation:/, '')} of BGPConfiguration ${slot.object}; none is written`, 'remove all but one of them (hosts whose names differ only in case or punctuation become one v3 node name)');
        continue;
      }
      const o = objects.get(slot.object) ?? { spec: {}, annotations: {}, fed: [] };
      objects.set(slot.object, o);
      if (slot.field.startsWith('annotation:')) o.annotations[slot.field.slice('annotation:'.length)] = String(slot.value);
      else o.spec[slot.field] = slot.value;
      o.fed.push(...slot.items);
    }
    for (const [name, o] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const id = out.emit(v3Object(form, 'BGPConfiguration', name, o.spec, { annotations: o.annotations }), o.fed);
      for (const item of o.fed) out.converted(item, [id]);
    }
    return out.build();
  },
});
