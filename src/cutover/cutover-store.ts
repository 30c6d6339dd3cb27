import type { PostgresDataSource } from '../postgres/data-source.js';
import type { Phase } from './cutover-phases.js';

/** The SQL of `core.cutover`: a module's recorded phase and its history of moves. */

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CutoverMove {
  readonly from: Phase;
  readonly to: Phase;
  readonly at: string;
  readonly kind: 'advance' | 'rollback';
  readonly checks: readonly CheckResult[];
}

export interface CutoverRecord {
  readonly module: string;
  readonly phase: Phase;
  readonly enteredAt: Date | null;
  readonly history: readonly CutoverMove[];
}

/** A module never moved is in phase `mongo`. */
export async function readCutover(ds: PostgresDataSource, module: string): Promise<CutoverRecord> {
  const res = await ds.query(`select phase, entered_at, history from core.cutover where module = $1`, [module]);
  const r = res.rows[0];
  return r ? { module, phase: r.phase as Phase, enteredAt: r.entered_at as Date, history: r.history as CutoverMove[] } : { module, phase: 'mongo', enteredAt: null, history: [] };
}

/** Records a move, unless another operator moved the module meanwhile (then false: nothing changed). */
export async function recordMove(ds: PostgresDataSource, module: string, move: CutoverMove): Promise<boolean> {
  const res = await ds.query(
    `insert into core.cutover as c (module, phase, entered_at, history) values ($1, $2, now(), jsonb_build_array($4::jsonb))
     on conflict (module) do update set phase = excluded.phase, entered_at = now(), history = c.history || $4::jsonb
       where c.phase = $3`,
    [module, move.to, move.from, JSON.stringify(move)],
  );
  if ((res.rowCount ?? 0) > 0) return true;
  // No row yet and the move starts from `mongo`: the insert above ran; a conflict means someone else moved it.
  return false;
}
