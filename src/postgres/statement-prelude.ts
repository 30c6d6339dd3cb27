import type { Tx } from './data-source.js';

/**
 * A write inside a transaction whose result nobody reads (an audit row), which the next statement
 * of the same unit of work may carry in front of itself as a data-modifying CTE: one round trip
 * less. Taken at most once; whoever created it runs it alone if nobody took it.
 *
 * @example
 * const prelude = new StatementPrelude('insert into a.audit_log (...) values ($1, $2)', params);
 * await hook(change, ctx, withPrelude(tx, prelude)); // the pending log may take it
 * await prelude.runIfLeft(tx);
 */
export class StatementPrelude {
  private taken = false;

  constructor(
    readonly sql: string,
    readonly params: readonly unknown[],
  ) {}

  /** The statement, once: the taker must run it (as `with <name> as (<sql>) ...`). */
  take(): { sql: string; params: readonly unknown[] } | null {
    if (this.taken) return null;
    this.taken = true;
    return { sql: this.sql, params: this.params };
  }

  async runIfLeft(tx: Tx): Promise<void> {
    const left = this.take();
    if (left) await tx.query(left.sql, left.params);
  }
}

/** A transaction that offers a prelude to the statement it runs next. */
export interface PreludeTx extends Tx {
  readonly prelude?: StatementPrelude;
}

export function withPrelude(tx: Tx, prelude: StatementPrelude | null): PreludeTx {
  return prelude ? { query: tx.query, client: tx.client, prelude } : tx;
}
