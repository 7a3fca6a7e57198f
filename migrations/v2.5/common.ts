/** Constants and small pure helpers shared by the v2.5 steps. */

/** The API group/version every v2.5/v2.6 Calico CRD instance carries. */
export const CRD_API_VERSION = 'crd.projectcalico.org/v1';

/** Plural noun with count, for messages. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
