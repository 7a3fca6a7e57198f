#!/usr/bin/env node
// After tsc: makes dist/src/datastore/client-node.js (a re-export of @kubernetes/client-node) one
// file holding those exports and all they import, so a Kubernetes command loads one module instead
// of about 900 (src/datastore/client-node.ts says why). undici stays an import of the package: the
// tool's requests go through the dispatchers client-node builds, and both must be one undici.
// Identifiers are kept (error and class names read the same); only whitespace and syntax shrink.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'dist', 'src', 'datastore', 'client-node.js');
const version = JSON.parse(readFileSync(join(root, 'node_modules', '@kubernetes', 'client-node', 'package.json'), 'utf8')).version;

await build({
  entryPoints: [file],
  outfile: file,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['undici'],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  // The CommonJS modules inside call require() for Node's own modules.
  banner: { js: `// @kubernetes/client-node ${version} and its dependencies (but undici), bundled by scripts/bundle.mjs; their licences are in node_modules.\nimport { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);` },
});
