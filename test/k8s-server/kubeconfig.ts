/** Kubeconfig text for a test server. */
import YAML from 'yaml';

/** Credentials to put in a kubeconfig. */
export interface KubeconfigOptions {
  /** Bearer token. */
  token?: string;
  /** Client certificate and key files. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Context, cluster and user name (default `k8s-test-server`). */
  name?: string;
}

/** A kubeconfig for `url`; the CA is embedded for HTTPS servers. */
export function kubeconfigYaml(url: string, caPem: string | undefined, options: KubeconfigOptions): string {
  const name = options.name ?? 'k8s-test-server';
  const cluster: Record<string, string> = { server: url };
  if (caPem) cluster['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
  const user: Record<string, string> = {};
  if (options.token) user.token = options.token;
  if (options.clientCertFile) user['client-certificate'] = options.clientCertFile;
  if (options.clientKeyFile) user['client-key'] = options.clientKeyFile;
  return YAML.stringify({
    apiVersion: 'v1', kind: 'Config', clusters: [{ name, cluster }], users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }], 'current-context': name, preferences: {},
  });
}
