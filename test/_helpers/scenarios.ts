/** The bundled fixture scenarios and their input files (paths relative to the repository root). */

export interface Scenario {
  readonly name: string;
  readonly files: readonly string[];
}

const S = 'fixtures/sources';

export const SCENARIOS: readonly Scenario[] = [
  { name: 'etcd-typical', files: [`${S}/etcd-typical/etcd-v2.json`] },
  { name: 'kdd-typical', files: [`${S}/kdd-typical/tprs.yaml`, `${S}/kdd-typical/systemnetworkpolicies.yaml`, `${S}/kdd-typical/nodes.yaml`] },
  { name: 'edge-cases-etcd', files: [`${S}/edge-cases/etcd-flat.json`] },
  { name: 'edge-cases-bad-values', files: [`${S}/edge-cases/etcd-bad-values.json`] },
  { name: 'edge-cases-kdd', files: [`${S}/edge-cases/kdd-quirks.yaml`] },
  { name: 'calico-upgrade-cases', files: [`${S}/calico-upgrade-cases/etcd-flat.json`] },
  { name: 'etcd-v26', files: [`${S}/etcd-v26/etcd-v2.json`] },
];

export function fromFileArgs(files: readonly string[]): string[] {
  return files.flatMap((f) => ['--from-file', f]);
}
