/**
 * The stage display: listr2's live renderer on a terminal, its plain line-by-line renderer when
 * there is no terminal or CI=true (logs of a pipeline or a Job), nothing with `-o json` (stdout holds
 * only the result). Progress goes to stderr (the terminal's output when live), so stdout stays the
 * result's.
 */
import { createWritable, Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { EngineStage } from '../apply/engine.js';
import type { CliIo } from '../io.js';

export type ProgressMode = 'live' | 'plain' | 'silent';

/** CI=true (or any value but empty and `false`): a pipeline, where nothing is ever prompted. */
export function isCI(io: CliIo): boolean {
  const v = (io.env ?? process.env)['CI'];
  return v !== undefined && v !== '' && v !== 'false';
}

/** A terminal to ask on: one was given, it is a TTY, and this is not a CI run. */
export function canPrompt(io: CliIo): boolean {
  return io.interactive?.isTTY === true && !isCI(io);
}

export function progressMode(io: CliIo, output: 'text' | 'json'): ProgressMode {
  if (output === 'json') return 'silent';
  return canPrompt(io) ? 'live' : 'plain';
}

/** Runs the stages in order; the first failure stops them and is rethrown. */
export async function runStages<Ctx extends object>(tasks: ListrTask<Ctx>[], mode: ProgressMode, io: CliIo, ctx: Ctx): Promise<Ctx> {
  const toStderr = createWritable((chunk) => io.stderr.write(chunk)) as unknown as NodeJS.WriteStream;
  const terminal = io.interactive?.output as NodeJS.WriteStream | undefined;
  const processOutput = mode === 'live' && terminal ? new ProcessOutput(terminal, terminal) : new ProcessOutput(toStderr, toStderr);
  const logger = new ListrLogger({ processOutput });
  // The renderer is chosen here, from the streams this command was given, not from process.stdout.
  const list = new Listr<Ctx, 'default' | 'simple' | 'silent', 'simple'>(tasks, {
    renderer: mode === 'live' ? 'default' : mode === 'plain' ? 'simple' : 'silent',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: false,
    silentRendererCondition: false,
    exitOnError: true,
    ctx,
    rendererOptions: { logger },
    fallbackRendererOptions: { logger },
  });
  return list.run(ctx);
}

/** Seconds each stage took, by title (the JSON result's `timings`). */
export type StageTimings = Record<string, number>;

/**
 * An engine stage as a listr2 task: its title, then `title: <how it went>`; progress as the task's
 * output. With `timings`, the stage's wall time is recorded under its title.
 */
export function listrTask<Ctx extends object>(stage: EngineStage, timings?: StageTimings): ListrTask<Ctx> {
  return {
    title: stage.title,
    ...(stage.skip ? { skip: () => stage.skip ?? false } : {}),
    task: async (_ctx, task) => {
      const started = performance.now();
      try {
        const line = await stage.run((progress) => {
          task.output = progress;
        });
        if (line) task.title = `${stage.title}: ${line}`;
      } finally {
        if (timings) timings[stage.title] = Math.round(performance.now() - started) / 1000;
      }
    },
  };
}
