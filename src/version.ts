/** The tool's version, as written into plan files, journals and the annotations of written objects. */
export const TOOL_NAME = 'calico-migrate';
export const TOOL_VERSION = '0.2.0';
