/** Runs the CLI in-process with captured streams (the same `main` the executable calls). */
import { main } from '../../src/cli/main.js';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `env` replaces the process environment for datastore settings (default: empty, so the machine's
 * own KUBECONFIG or ETCD_* never leak into a test); the default calicoctl config path points
 * nowhere unless a test gives one.
 */
export async function runCli(args: readonly string[], cwd = REPO_ROOT, env: Readonly<Record<string, string>> = {}, defaultConfigPath = '/nonexistent/calicoctl.cfg'): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
    env,
    defaultConfigPath,
  });
  return { code, stdout, stderr };
}
