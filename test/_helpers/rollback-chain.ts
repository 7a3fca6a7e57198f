/**
 * Rolls back everything a history of applies left, as an operator following the tool would: the
 * run `rollback` picks, forced when it keeps something changed by hand, then each other run it
 * names (`others`, newest first), until none is left. Used by the generated-history tests.
 */
import type { ExecutionContext } from 'ava';
import type { CliRun } from './cli.js';

export interface ChainState {
  /** What happened so far, in words (rollbacks are added here). */
  readonly history: string[];
  /** Whether anything was applied: before that, there is no run to roll back (a usage error). */
  readonly applied: boolean;
  /** Whether something the tool wrote was changed by hand since: a rollback then keeps it (exit 3). */
  readonly edited: boolean;
  /** The key a kept step must name, when the test knows it. */
  readonly keptKey?: string;
}

export async function rollBackEverything(t: ExecutionContext, run: (args: readonly string[]) => Promise<CliRun>, rollback: readonly string[], s: ChainState): Promise<void> {
  let args = [...rollback, '--yes', '-o', 'json'];
  for (let round = 0; round < 5; round++) {
    let r = await run(args);
    s.history.push(`rollback: ${r.code}`);
    if (!s.applied) {
      t.regex(`${r.code} ${r.stderr}`, /^1 calico-migrate: error: no (journal found|run is kept)/, s.history.join(', '));
      return;
    }
    if (r.code === 3) {
      // Something was changed by hand since: kept and said to be; --force undoes it too.
      t.true(s.edited, `${s.history.join(', ')}\n${r.stdout}`);
      const steps = (JSON.parse(r.stdout) as { steps: { key: string; outcome: string }[] }).steps;
      t.true(steps.some((x) => x.outcome === 'kept' && (s.keptKey === undefined || x.key === s.keptKey)), `${s.history.join(', ')}\n${r.stdout}`);
      r = await run([...args, '--force']);
      s.history.push(`rollback --force: ${r.code}`);
    }
    t.is(r.code, 0, `${s.history.join(', ')}\n${r.stdout}${r.stderr}`);
    const next = (JSON.parse(r.stdout) as { others?: { run?: string; journal?: string }[] }).others?.[0];
    if (!next) return;
    args = [...rollback, ...(next.run ? ['--run', next.run] : ['--journal', next.journal ?? '']), '--yes', '-o', 'json'];
  }
}
