/**
 * A tiny scientist-style comparison, in the spirit of `src/dualwrite/experiment.ts`, for
 * verification rather than shadow reads: the control (the legacy MongoDB answer) and the candidate
 * (the PostgreSQL answer) BOTH always run, one after the other (deterministic, no interleaving);
 * errors are captured on either side, never thrown; `compare` decides; `publish` sees every result.
 *
 * @example
 * const r = await compareBoth({
 *   name: 'Authority.user list(order=default)',
 *   control: () => mongoUsers.list(ctx),
 *   candidate: () => pgUsers.list(ctx),
 *   compare: (a, b) => canonicalJson(a) === canonicalJson(b),
 *   publish: (result) => results.push(result),
 * });
 * r.matched; // false when the outputs differ or either side threw
 */
export interface ComparisonSide<T> {
  readonly value: T | undefined;
  readonly error: Error | null;
  readonly ms: number;
}

export interface ComparisonResult<T> {
  readonly name: string;
  readonly matched: boolean;
  readonly control: ComparisonSide<T>;
  readonly candidate: ComparisonSide<T>;
  /** Set when `compare` itself threw. */
  readonly compareError: Error | null;
}

export interface ComparisonOptions<T> {
  readonly name: string;
  readonly control: () => Promise<T>;
  readonly candidate: () => Promise<T>;
  readonly compare: (control: T, candidate: T) => boolean;
  readonly publish?: (result: ComparisonResult<T>) => void;
}

async function side<T>(fn: () => Promise<T>): Promise<ComparisonSide<T>> {
  const start = performance.now();
  try {
    const value = await fn();
    return { value, error: null, ms: performance.now() - start };
  } catch (err) {
    return { value: undefined, error: err instanceof Error ? err : new Error(String(err)), ms: performance.now() - start };
  }
}

export async function compareBoth<T>(options: ComparisonOptions<T>): Promise<ComparisonResult<T>> {
  const control = await side(options.control);
  const candidate = await side(options.candidate);
  let matched = false;
  let compareError: Error | null = null;
  if (!control.error && !candidate.error) {
    try {
      matched = options.compare(control.value as T, candidate.value as T);
    } catch (err) {
      compareError = err instanceof Error ? err : new Error(String(err));
    }
  }
  const result: ComparisonResult<T> = { name: options.name, matched, control, candidate, compareError };
  options.publish?.(result);
  return result;
}
