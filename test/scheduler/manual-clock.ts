import type { Clock } from '../../src/interfaces/clock.js';

/** A clock the test moves by hand (lease expiry, backoff, partition months) without sleeping. */
export class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
