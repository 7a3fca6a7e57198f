/** The streams and place a command runs with: below both the CLI and the UI, so neither imports the other for it. */

/** Where a command writes; tests pass buffers, the executable passes process streams. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  /** The environment the datastore settings are read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the default calicoctl config file is looked for (default /etc/calico/calicoctl.cfg). */
  readonly defaultConfigPath?: string;
  /**
   * The terminal, when there is one: prompts read `input` and draw on `output`; the live progress
   * display and colour need `isTTY`. Absent: nothing is ever prompted.
   */
  readonly interactive?: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream; readonly isTTY: boolean };
}
