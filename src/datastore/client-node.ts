/**
 * The parts of @kubernetes/client-node the tool uses at run time, in one module that every other
 * module imports them from (types may come from the package itself).
 *
 * The build (`scripts/bundle.mjs`) replaces this module's compiled form with one file that holds
 * these exports and everything they import, undici aside (shared with the tool, so its dispatchers
 * stay one library's). Importing the package loads about 900 modules, and Node 20 has no compile
 * cache: 0.42-0.45 s of every Kubernetes command's start, against 0.10-0.15 s for the one file.
 * Run from the sources (tsx), this module re-exports the package as it is.
 */
export {
  ApiException,
  ApisApi,
  AuthorizationV1Api,
  CoreApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
} from '@kubernetes/client-node';
