#!/usr/bin/env node
// Launcher: registers the TypeScript loader, then runs the CLI with the process streams.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
