/**
 * Fields of v1 rules that a target cannot hold. Only backend (etcd) rules carry `log_prefix`, so
 * the source path of a rule at `ingress[i]` / `egress[i]` is `inbound_rules[i]` / `outbound_rules[i]`.
 */
import { notCarried } from '../../src/migrate/step.js';
import type { LostField } from '../../src/model/report.js';

/** The backend path of a rule field: `ingress[2]` + `log_prefix` → `inbound_rules[2].log_prefix`. */
export function backendRulePath(where: string, field: string): string {
  return `${where.replace(/^ingress/, 'inbound_rules').replace(/^egress/, 'outbound_rules')}.${field}`;
}

/** A rule's log prefix, which neither the v1 API rule shape nor v3 rules have. */
export function logPrefixLost(where: string, value: string, target: string): LostField {
  return notCarried(backendRulePath(where, 'log_prefix'), value, `${target} rules have no log prefix; Log rules still log, with Felix's default prefix`);
}
