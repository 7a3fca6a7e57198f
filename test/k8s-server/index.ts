/** Public API of the Kubernetes API test server. See README.md. */
export { startK8sServer, type K8sServerOptions, type K8sTestServer, type RequestLogEntry, type ServerState } from './server.js';
export type { Policy, PolicyRule, TokenIdentity, AuthzAttributes, AuthzDecision, UserInfo } from './auth.js';
export type { FaultAction, FaultHandle, FaultSpec } from './faults.js';
export type { SeedResult } from './seed.js';
export type { CertPair } from './tls.js';
export type { KubeconfigOptions } from './kubeconfig.js';
export { readSeedFile } from './seed.js';
