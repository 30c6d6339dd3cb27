import pRetry, { AbortError } from 'p-retry';

/**
 * Transient errors (worth another attempt) versus permanent ones (stop the job, leave it resumable).
 * Transient: serialization failures and deadlocks, server shutdown or restart (57P01-57P03), too many
 * connections, every connection exception (SQLSTATE class 08), sockets reset or refused, and MongoDB
 * network or server-selection errors. Everything else is permanent.
 */

const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03']);
const TRANSIENT_SYSCALL = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_MONGO = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoPoolClearedError', 'MongoServerClosedError']);
const TRANSIENT_MONGO_LABELS = ['RetryableReadError', 'ResetPool', 'TransientTransactionError', 'RetryableWriteError'];
// node-postgres reports a dropped socket with these messages and no code.
const TRANSIENT_MESSAGES = [/Connection terminated/i, /connection error and is not queryable/i, /timeout exceeded when trying to connect/i, /terminating connection/i];

export function isTransient(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const err = e as { code?: unknown; name?: unknown; message?: unknown; hasErrorLabel?: (label: string) => boolean };
    if (typeof err.code === 'string') {
      if (TRANSIENT_SQLSTATES.has(err.code) || /^08/.test(err.code) || TRANSIENT_SYSCALL.has(err.code)) return true;
    }
    if (typeof err.name === 'string' && TRANSIENT_MONGO.has(err.name)) return true;
    if (typeof err.hasErrorLabel === 'function' && TRANSIENT_MONGO_LABELS.some((l) => err.hasErrorLabel!(l))) return true;
    if (typeof err.message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(err.message as string))) return true;
  }
  return false;
}

export interface RetryPolicy {
  readonly retries: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ retries: 8, minTimeoutMs: 250, maxTimeoutMs: 8000 });

/**
 * Runs `fn`, retrying transient failures with exponential backoff (p-retry); a permanent error
 * rejects at once, unchanged.
 *
 * @example
 * await withRetry('load batch', () => loadBatch(...), DEFAULT_RETRY, log);
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy, log: (line: string) => void): Promise<T> {
  try {
    return await pRetry(
      async () => {
        try {
          return await fn();
        } catch (err) {
          // Permanent errors skip p-retry's policy altogether (TypeErrors included).
          if (!isTransient(err)) throw new AbortError(err as Error);
          throw err;
        }
      },
      {
        retries: policy.retries,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        factor: 2,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          log(`${what}: transient error (attempt ${attemptNumber}, ${retriesLeft} retries left): ${error.message}`);
        },
      },
    );
  } catch (err) {
    // p-retry rejects with the original error of an AbortError.
    throw err instanceof AbortError ? err.originalError : err;
  }
}
