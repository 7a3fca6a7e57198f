#!/usr/bin/env node
// Launcher: registers the TypeScript loader, then runs the CLI with the process streams.
import { register } from 'tsx/esm/api';

// grpc-js (used by the etcd3 client) warns (DEP0123) whenever TLS talks to an IP address; operators
// connect to etcd by IP all the time, so the warning is noise on a CLI's stderr.
process.noDeprecation = true;
register();
const { main } = await import('../src/cli/main.ts');
const interactive = { input: process.stdin, output: process.stdout, isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY) };
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), interactive });
process.exitCode = code;
// Exit once stdout and stderr are flushed, even if an abandoned request (after a timeout) still
// holds a connection open.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
