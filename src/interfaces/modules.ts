/**
 * The modules of the control plane, exactly as they appear as `Persistence.<Module>` config keys.
 * Knows no database.
 */
export const MODULE_NAMES = [
  'Authority',
  'Scheduler',
  'Notify',
  'Policy',
  'Concelier',
  'Excititor',
  'PacksRegistry',
  'IssuerDirectory',
  'Artifact',
] as const;

export type ModuleName = (typeof MODULE_NAMES)[number];

/** Which store(s) a module's repositories talk to. */
export const BACKENDS = ['Mongo', 'Postgres', 'DualWrite'] as const;
export type Backend = (typeof BACKENDS)[number];

export function isModuleName(value: string): value is ModuleName {
  return (MODULE_NAMES as readonly string[]).includes(value);
}
