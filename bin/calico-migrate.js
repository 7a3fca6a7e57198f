#!/usr/bin/env node
// Launcher: runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` and `npm install`
// run through `prepare`) with the process streams. No TypeScript loader at run time.

// grpc-js (used by the etcd3 client) warns (DEP0123) whenever TLS talks to an IP address; operators
// connect to etcd by IP all the time, so the warning is noise on a CLI's stderr.
process.noDeprecation = true;
let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('/dist/src/cli/main.js')) throw e;
  process.stderr.write('calico-migrate: the compiled CLI is missing (dist/): run `npm run build` (npm ci and npm install run it)\n');
  process.exit(1);
}
const interactive = { input: process.stdin, output: process.stdout, isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY) };
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), interactive });
process.exitCode = code;
// Exit once stdout and stderr are flushed, even if an abandoned request (after a timeout) still
// holds a connection open.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
