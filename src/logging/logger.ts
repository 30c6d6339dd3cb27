import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** `scheme://user:password@` in any text: the password is replaced, the rest kept for diagnosis. */
const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;

/**
 * Masks the password of every URL in a text (`postgres://app:***@db/stellaops`).
 *
 * @example
 * maskSecrets('connect postgres://app:hunter2@db/x failed'); // 'connect postgres://app:***@db/x failed'
 */
export function maskSecrets(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1:***@');
}

/** Keys whose values never reach a log line: secrets and hashes are censored, URLs masked. */
export const SECRET_KEYS = Object.freeze(['password', 'passwordHash', 'secret', 'secretHash', 'token', 'tokenHash', 'url', 'Url', 'AdminUrl', 'adminUrl', 'connectionString']);

/** The redaction paths: each secret key at the top level and one or two levels down (`config.Postgres.Url`). */
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function censor(value: unknown): unknown {
  // A URL keeps its host and database (useful), loses its password; anything else is hidden whole.
  if (typeof value === 'string' && value.includes('://')) return maskSecrets(value);
  return value === null || value === undefined ? value : '[redacted]';
}

export interface LoggerOptions {
  /** Fields on every line, e.g. `{ command: 'convert', module: 'Authority' }`. */
  readonly bindings?: Readonly<Record<string, unknown>>;
  /** Minimum level (default `info`). */
  readonly level?: pino.LevelWithSilent;
  /** Where lines go (default: stderr, written synchronously so nothing is lost at exit). */
  readonly destination?: DestinationStream;
  /** Human-readable lines instead of JSON (default: when stderr is a terminal and no destination is given). */
  readonly pretty?: boolean;
}

/**
 * The one logger factory of the package: pino JSON lines (`level` as a label, ISO `time`, `pid`,
 * the bindings, `msg`), pretty-printed on a terminal. Secrets never reach a line: values under
 * {@link SECRET_KEYS} are censored (URLs keep everything but their password), and URL passwords
 * inside messages and error texts are masked.
 *
 * @example
 * const log = createLogger({ bindings: { command: 'convert', module: 'Authority' } });
 * log.info({ collection: 'authority_users', rows: 1000 }, 'batch loaded');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const prettyOutput = options.pretty ?? (options.destination === undefined && process.stderr.isTTY === true);
  const destination =
    options.destination ??
    (prettyOutput
      ? pretty({ destination: 2, sync: true, colorize: true, singleLine: true, ignore: 'pid,hostname,command', translateTime: 'SYS:HH:MM:ss.l' })
      : pino.destination({ fd: 2, sync: true }));
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor },
      serializers: {
        err: (error: Error) => {
          const s = pino.stdSerializers.err(error);
          return { ...s, message: maskSecrets(s.message ?? ''), stack: maskSecrets(s.stack ?? '') };
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  ).child({ ...(options.bindings ?? {}) });
}
