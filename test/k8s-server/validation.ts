/** Name and request-option validation with apimachinery's exact error texts. */
import { goQuote } from './json.js';
import { invalid, type FieldError } from './status.js';

const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** How an object's name is validated. */
export type NameRule = 'subdomain' | 'label';

/** Messages of `IsDNS1123Subdomain` / `IsDNS1123Label` (empty = valid). */
export function nameMessages(name: string, rule: NameRule, isPrefix = false): string[] {
  const max = rule === 'subdomain' ? 253 : 63;
  const checked = isPrefix ? name.replace(/-$/, '') : name;
  const out: string[] = [];
  if (checked.length > max) out.push(`must be no more than ${max} characters`);
  if (!(rule === 'subdomain' ? SUBDOMAIN_RE : LABEL_RE).test(checked)) out.push(rule === 'subdomain' ? SUBDOMAIN_MSG : LABEL_MSG);
  return out;
}

/** `ValidateObjectMeta` for the name and generateName. */
export function validateMetaName(name: string, generateName: string, rule: NameRule): FieldError[] {
  const errors: FieldError[] = [];
  if (generateName) {
    for (const msg of nameMessages(generateName, rule, true)) errors.push({ type: 'Invalid', field: 'metadata.generateName', value: goQuote(generateName), detail: msg });
  }
  if (!name) {
    errors.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
    return errors;
  }
  for (const msg of nameMessages(name, rule)) errors.push({ type: 'Invalid', field: 'metadata.name', value: goQuote(name), detail: msg });
  return errors;
}

/** The parsed options of a write request. */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: 'Ignore' | 'Warn' | 'Strict';
  force: boolean | undefined;
}

/** Which options kind a write uses (for the 422 text). */
export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

function goStringSlice(values: string[]): string {
  return `[]string{${values.map(goQuote).join(', ')}}`;
}

/**
 * Parses `dryRun`, `fieldManager`, `fieldValidation` and `force`, answering 422 against
 * `<Kind>Options.meta.k8s.io ""` as the real server does.
 */
export function parseWriteOptions(query: URLSearchParams, kind: OptionsKind, extraDryRun: string[] = [], isApply = false): WriteOptions {
  const errors: FieldError[] = [];
  const dryRunValues = [...query.getAll('dryRun'), ...extraDryRun];
  if (dryRunValues.some((v) => v !== 'All')) {
    errors.push({ type: 'NotSupported', field: 'dryRun', value: goStringSlice(dryRunValues), detail: 'supported values: "All"' });
  }
  const fieldManager = query.get('fieldManager') ?? '';
  if (kind === 'PatchOptions' && isApply && fieldManager === '') errors.push({ type: 'Required', field: 'fieldManager', detail: 'is required for apply patch' });
  if (fieldManager.length > 128) errors.push({ type: 'TooLong', field: 'fieldManager', detail: 'may not be more than 128 bytes' });
  [...fieldManager].forEach((ch, i) => {
    if (!/\P{C}/u.test(ch)) errors.push({ type: 'Invalid', field: 'fieldManager', value: goQuote(fieldManager), detail: `invalid character U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} (at position ${i})` });
  });
  const rawValidation = query.get('fieldValidation') ?? '';
  if (!['', 'Ignore', 'Warn', 'Strict'].includes(rawValidation)) {
    errors.push({ type: 'NotSupported', field: 'fieldValidation', value: goQuote(rawValidation), detail: 'supported values: "", "Ignore", "Strict", "Warn"' });
  }
  const forceRaw = query.get('force');
  if (forceRaw !== null && !isApply) errors.push({ type: 'Forbidden', field: 'force', detail: 'may not be specified for non-apply patch' });
  if (errors.length > 0) throw invalid({ group: 'meta.k8s.io', name: kind }, '', errors);
  return {
    dryRun: dryRunValues.length > 0,
    fieldManager,
    fieldValidation: rawValidation === '' ? 'Warn' : (rawValidation as 'Ignore' | 'Warn' | 'Strict'),
    force: forceRaw === null ? undefined : forceRaw === 'true' || forceRaw === '1',
  };
}

/** The manager recorded for a write: the `fieldManager` parameter, or the User-Agent up to its first `/`. */
export function managerName(fieldManager: string, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  return [...prefix].filter((c) => /\P{C}/u.test(c)).join('').slice(0, 128);
}
