/**
 * A tiny scientist-style experiment: run the control (the answer the caller gets) and, for a
 * sample of calls, the candidate; compare; publish mismatches. The candidate can never change
 * the caller's result or throw into it.
 *
 * @example
 * const user = await experiment({
 *   name: 'Authority.user.get',
 *   control: () => pg.get(ctx, id),
 *   candidate: () => mongo.get(ctx, id),
 *   compare: (a, b) => digest(a) === digest(b),
 *   publish: (r) => log.warn(r),
 *   sample: 0.1,
 * });
 */
export interface ExperimentResult<T> {
  readonly name: string;
  readonly matched: boolean;
  readonly control: T;
  readonly candidate: T | undefined;
  readonly candidateError: string | null;
  readonly controlMs: number;
  readonly candidateMs: number;
}

export interface ExperimentOptions<T> {
  readonly name: string;
  readonly control: () => Promise<T>;
  readonly candidate: () => Promise<T>;
  readonly compare: (control: T, candidate: T) => boolean;
  readonly publish: (result: ExperimentResult<T>) => void;
  /** Told of every comparison, matched or not (metrics). */
  readonly observe?: (matched: boolean) => void;
  /** Fraction of calls that also run the candidate (0..1). */
  readonly sample: number;
  /** Source of randomness for sampling (tests pass a fixed one). */
  readonly random?: () => number;
}

export async function experiment<T>(options: ExperimentOptions<T>): Promise<T> {
  const start = performance.now();
  const control = await options.control();
  const controlMs = performance.now() - start;
  if (options.sample <= 0 || (options.random ?? Math.random)() >= options.sample) return control;
  const candidateStart = performance.now();
  let candidate: T | undefined;
  let candidateError: string | null = null;
  try {
    candidate = await options.candidate();
  } catch (err) {
    candidateError = (err as Error).message;
  }
  const candidateMs = performance.now() - candidateStart;
  let matched = false;
  if (candidateError === null) {
    try {
      matched = options.compare(control, candidate as T);
    } catch (err) {
      candidateError = `compare failed: ${(err as Error).message}`;
    }
  }
  try {
    options.observe?.(matched);
  } catch {
    // A broken observer must not fail the caller.
  }
  if (!matched) {
    try {
      options.publish({ name: options.name, matched, control, candidate, candidateError, controlMs, candidateMs });
    } catch {
      // A broken publisher must not fail the caller.
    }
  }
  return control;
}
