/**
 * The confirmation before anything is written: the summary, then a choice of applying, paging the
 * full diff first, or cancelling. Only ever asked on a terminal; without one the caller refuses
 * (exit 1 with a hint) instead of waiting for input that never comes.
 */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { select } from '@inquirer/prompts';
import type { CliIo } from '../io.js';

/** Shows `text` through $PAGER (default `less -R`) on a terminal, or writes it out. */
function page(text: string, io: CliIo): void {
  const env = io.env ?? process.env;
  const pager = env['PAGER'] ?? 'less -R';
  const out = io.interactive?.output;
  if (pager.trim() !== '' && io.interactive?.isTTY) {
    const [cmd, ...args] = pager.trim().split(/\s+/);
    if (cmd) {
      const r = spawnSync(cmd, args, { input: text, stdio: ['pipe', 'inherit', 'inherit'] });
      if (!r.error) return;
    }
  }
  if (out) out.write(text.endsWith('\n') ? text : `${text}\n`);
  else io.stdout.write(text);
}

/** Asks whether to apply; `diff` is computed only when asked for. Returns true to go on. */
export async function confirmApply(question: string, diff: () => Promise<string>, io: CliIo): Promise<boolean> {
  const terminal = io.interactive;
  if (!terminal) return false;
  for (;;) {
    // A prompt ends its output stream when it is done; the terminal must outlive it.
    const out = new PassThrough();
    out.pipe(terminal.output, { end: false });
    const choice = await select(
      {
        message: question,
        choices: [
          { name: 'Apply', value: 'apply' as const },
          { name: 'Show the full diff', value: 'diff' as const },
          { name: 'Cancel', value: 'cancel' as const },
        ],
        default: 'cancel',
      },
      { input: terminal.input, output: out },
    ).finally(() => out.unpipe(terminal.output));
    if (choice === 'apply') return true;
    if (choice === 'cancel') return false;
    page(await diff(), io);
  }
}
