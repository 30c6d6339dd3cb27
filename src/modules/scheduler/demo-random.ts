import { ObjectId, UUID } from 'bson';
import { derivedUuid } from '../../codec/ids.js';

/**
 * Deterministic pieces for generated legacy documents (`demo`): a seeded PRNG (mulberry32) and
 * stable ids, so the same options always yield byte-identical documents.
 *
 * @example
 * const r = demoRandom(42, 'schedules', tenant);
 * const mode = r.pick(['analysis-only', 'content-refresh']);
 */
export interface DemoRandom {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** A 24-hex ObjectId drawn from the stream (legacy documents mostly have ObjectId `_id`s). */
  objectId(): ObjectId;
  hex(length: number): string;
}

export function demoRandom(seed: number, ...scope: string[]): DemoRandom {
  let state = hash32(`${seed}|${scope.join('|')}`);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (length: number) => Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('');
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    objectId: () => new ObjectId(hex(24)),
    hex,
  };
}

/** A stable UUID `_id` (Binary subtype 4) for documents that others reference by uuid. */
export function demoUuid(seed: number, collection: string, tenant: string, i: number): UUID {
  return new UUID(derivedUuid(`demo:${collection}`, String(seed), tenant, String(i)));
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `now` minus a number of milliseconds, as a millisecond Date. */
export function before(now: Date, ms: number): Date {
  return new Date(Math.trunc(now.getTime() - ms));
}
