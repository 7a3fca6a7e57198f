// Types for peers/build.mjs, which the test harness imports to find the built peers.
export interface PeerPaths {
  readonly kubeApiserver: string;
  readonly calicoctl: string;
  readonly calicoCrds: string;
  readonly kubernetesVersion: string;
  readonly calicoVersion: string;
}
export const versions: {
  readonly kubernetes: { readonly version: string; readonly module: string; readonly package: string };
  readonly calico: { readonly version: string; readonly module: string; readonly pseudoVersion: string; readonly package: string; readonly crdDir: string };
};
export function cacheRoot(): string;
export function peerPaths(): PeerPaths;
export function missingPeers(p?: PeerPaths): string[];
export function missingPeerMessage(what: string): string;
export function kubeApiserverVersion(bin: string): string;
export function calicoctlVersion(bin: string): string;
