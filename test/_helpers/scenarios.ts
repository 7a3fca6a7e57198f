/** The bundled fixture scenarios and their input files (paths relative to the repository root). */

export interface Scenario {
  readonly name: string;
  readonly files: readonly string[];
  /** Exit code `convert --to v2.5` must give. */
  readonly exit: number;
}

const S = 'fixtures/sources';

export const SCENARIOS: readonly Scenario[] = [
  { name: 'etcd-typical', files: [`${S}/etcd-typical/etcd-v2.json`], exit: 3 },
  { name: 'kdd-typical', files: [`${S}/kdd-typical/tprs.yaml`, `${S}/kdd-typical/systemnetworkpolicies.yaml`, `${S}/kdd-typical/nodes.yaml`], exit: 0 },
  { name: 'edge-cases-etcd', files: [`${S}/edge-cases/etcd-flat.json`], exit: 3 },
  { name: 'edge-cases-bad-values', files: [`${S}/edge-cases/etcd-bad-values.json`], exit: 3 },
  { name: 'edge-cases-kdd', files: [`${S}/edge-cases/kdd-quirks.yaml`], exit: 3 },
];

export function fromFileArgs(files: readonly string[]): string[] {
  return files.flatMap((f) => ['--from-file', f]);
}
