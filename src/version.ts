/**
 * The tool's version, as written into plan files, journals and the annotations of written objects,
 * and printed by `--version`: package.json's, the one source of truth.
 */
import pkg from '../package.json' with { type: 'json' };

export const TOOL_NAME = 'calico-migrate';
export const TOOL_VERSION: string = pkg.version;
