import { readFileSync } from 'node:fs';
import type { Document } from 'bson';
import { user } from '../src/modules/authority/entities.js';
import { encodeDocument } from '../src/mongo/document-codec.js';
import { connectMongo } from '../src/mongo/mongo-data-source.js';

/** Small helpers every benchmark shares (statistics, rounding, generated legacy users). */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function perSecond(rows: number, ms: number): number {
  return Math.round((rows * 1000) / ms);
}

export const BENCH_TENANTS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
  '44444444-4444-4444-8444-444444444444',
] as const;

/** The i-th generated legacy Authority user (ObjectId `_id` with the given 4-hex prefix). */
export function benchUserDoc(i: number, oidPrefix: string): Document {
  const t = Date.UTC(2025, 0, 1) + i * 61_000;
  return encodeDocument(
    user,
    {
      tenantId: BENCH_TENANTS[i % BENCH_TENANTS.length],
      createdAt: new Date(t),
      updatedAt: new Date(t + 1000),
      username: `user-${i.toString(36)}-é`,
      email: `u${i}@example.org`,
      displayName: i % 5 ? `User ${i}` : null,
      passwordHash: i % 2 ? `sha256:${i.toString(16).padStart(16, '0')}` : null,
      status: ['active', 'disabled', 'locked'][i % 3],
      mfaEnabled: i % 2 === 0,
      lastLoginAt: i % 3 ? new Date(t + 86_400_000) : null,
    },
    `oid:${oidPrefix}${i.toString(16).padStart(20, '0')}`,
  );
}

/**
 * CPU seconds the whole machine has spent busy so far (user, nice, system, irq and softirq of
 * /proc/stat, every process: node, PostgreSQL, the rest), or null off Linux. The difference over a
 * run, divided by its rows, is what a row costs the machine; cores / that cost is the most any number
 * of workers could reach on it.
 */
export function machineCpuSeconds(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
    return (user + nice + system + irq + softirq) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * A client holding the legacy users of `url` loaded (a `memory:/folder` store loads on its first
 * operation), as a server holds its data: in-process runs timed while it is open share it instead of
 * loading the folder inside their timing. Close it when the run is over.
 *
 * @example
 * const resident = await residentUsers(url, database);
 * try { await timedRun(); } finally { await resident.close(); }
 */
export async function residentUsers(url: string, database: string): Promise<{ close(): Promise<void> }> {
  const client = await connectMongo(url, database);
  await client.db.collection(user.collection).countDocuments({});
  return client;
}
