import type { Backend } from '../interfaces/modules.js';

/**
 * The cutover of one module, as phases the tool knows (README "Cutover runbook"). Each phase names
 * the configuration services must run with while in it; changing that configuration stays the
 * operator's act: `cutover advance` checks the preconditions and records the move, then says what to set.
 */
export const PHASES = ['mongo', 'dualwrite-mongo', 'backfill', 'verified', 'dualwrite-postgres', 'postgres'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseConfig {
  readonly backend: Backend;
  /** DualWrite's primary in this phase (null when the module is not on DualWrite). */
  readonly primary: 'Mongo' | 'Postgres' | null;
}

export const PHASE_CONFIG: Readonly<Record<Phase, PhaseConfig>> = Object.freeze({
  mongo: { backend: 'Mongo', primary: null },
  'dualwrite-mongo': { backend: 'DualWrite', primary: 'Mongo' },
  backfill: { backend: 'DualWrite', primary: 'Mongo' },
  verified: { backend: 'DualWrite', primary: 'Mongo' },
  'dualwrite-postgres': { backend: 'DualWrite', primary: 'Postgres' },
  postgres: { backend: 'Postgres', primary: null },
});

/** What the operator runs or watches in each phase (printed by `cutover status`). */
export const PHASE_WORK: Readonly<Record<Phase, string>> = Object.freeze({
  mongo: 'MongoDB only. Next: run `migrate`, then switch the module to DualWrite with Primary Mongo.',
  'dualwrite-mongo': 'services write MongoDB first, PostgreSQL through the pending log. Next: `follow --init`, then start `convert` and `follow`.',
  backfill: '`convert` and `follow` run while traffic flows. Next: when both are done and caught up, `verify` (clean).',
  verified: 'both stores proven equal under traffic. Next: stop writers that bypass the adapter, then switch DualWrite Primary to Postgres.',
  'dualwrite-postgres': 'services write PostgreSQL first, MongoDB through the pending log (rollback stays possible). Next: switch to Postgres.',
  postgres: 'PostgreSQL only. MongoDB no longer receives writes: rolling back means migrating back, not flipping a key.',
});

export function phaseIndex(phase: Phase): number {
  return PHASES.indexOf(phase);
}

export function isPhase(value: unknown): value is Phase {
  return typeof value === 'string' && (PHASES as readonly string[]).includes(value);
}

/** How a module's configured backend reads, e.g. `DualWrite (Primary Mongo)`. */
export function describeConfig(c: PhaseConfig): string {
  return c.primary ? `${c.backend} (Primary ${c.primary})` : c.backend;
}
