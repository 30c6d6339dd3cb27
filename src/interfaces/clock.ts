/** Time source of the repositories; tests pass a fixed one for deterministic output. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = Object.freeze({ now: () => new Date() });

/**
 * The updatedAt a write gets: now, but always at least 1 ms after the previous one, so that
 * "never overwrite newer with older" can compare timestamps strictly.
 */
export function nextTimestamp(clock: Clock, previous: Date | null): Date {
  const now = clock.now();
  if (previous && now.getTime() <= previous.getTime()) return new Date(previous.getTime() + 1);
  return new Date(now.getTime());
}
