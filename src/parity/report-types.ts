/**
 * The shape of a parity report (SPEC 9): what `verify` writes as JSON and renders as HTML and
 * JUnit XML. Every value is plain JSON; entity values appear in their canonical projection
 * (`canonicalEntity`), so what the report shows is exactly what was compared.
 */

/** One field that differs between the legacy document and the PostgreSQL row. */
export interface FieldDifference {
  /** Domain field name (`legacyId` for the traced source id). */
  readonly field: string;
  /** Legacy MongoDB field name. */
  readonly mongoField: string;
  /** PostgreSQL column. */
  readonly column: string;
  /** Canonical value on each side (null when absent). */
  readonly mongo: unknown;
  readonly postgres: unknown;
}

/** One row or document shown as evidence for a count. */
export interface DataSample {
  readonly id: string | null;
  readonly legacyId: string | null;
  /** Why it is in this bucket: the quarantine reason, the decode error, the tier rule, a note. */
  readonly reason: string | null;
  /** Field-level differences (differing rows only). */
  readonly differences: readonly FieldDifference[];
  /** Canonical entity on each side, null when that side has none. */
  readonly mongo: Record<string, unknown> | null;
  readonly postgres: Record<string, unknown> | null;
}

export interface DataCounts {
  readonly mongoDocuments: number;
  readonly postgresRows: number;
  readonly matched: number;
  readonly missingInPostgres: number;
  /** Rows only PostgreSQL has (extra rows). */
  readonly missingInMongo: number;
  readonly differing: number;
  /** Documents that cannot be decoded and are NOT in the quarantine: mismatches. */
  readonly undecodable: number;
  /** Documents absent from PostgreSQL that ARE in the quarantine (undecodable, or refused by PostgreSQL): accounted. */
  readonly quarantined: number;
  /** Tier-B documents outside the window, absent from PostgreSQL as they should be: accounted. */
  readonly outsideWindow: number;
}

export type SampleKind = 'missingInPostgres' | 'missingInMongo' | 'differing' | 'undecodable' | 'quarantined' | 'outsideWindow';

export const SAMPLE_KINDS: readonly SampleKind[] = ['missingInPostgres', 'missingInMongo', 'differing', 'undecodable', 'quarantined', 'outsideWindow'];

/** Kinds that count as mismatches (the others are accounted for). */
export const MISMATCH_KINDS: readonly SampleKind[] = ['missingInPostgres', 'missingInMongo', 'differing', 'undecodable'];

export type ReferenceTimeSource = 'option' | 'conversion_job' | 'run';

/** Data parity of one entity (one legacy collection against one table). */
export interface EntityDataReport {
  readonly entity: string;
  readonly collection: string;
  readonly table: string;
  readonly tier: 'A' | 'B' | 'C';
  readonly tierDescription: string | null;
  /** False for tier C (fresh start: nothing is converted, nothing compared). */
  readonly compared: boolean;
  readonly note: string | null;
  /** The time tier-B windows were evaluated at, and where it came from. */
  readonly referenceTime: string | null;
  readonly referenceTimeSource: ReferenceTimeSource | null;
  readonly counts: DataCounts;
  readonly mismatches: number;
  /** The first N of each kind, sorted by id. */
  readonly samples: Readonly<Record<SampleKind, readonly DataSample[]>>;
  /**
   * Verification under traffic only (absent on data at rest, so such a report and its digest are
   * unchanged): rows that differed while streaming and were read again (see `settle.ts`). `count`
   * rows were still changing after the last re-check (in flight: neither matched nor mismatches;
   * samples with both sides of the last read); `settled` rows differed and then agreed (or were gone
   * from both sides) on a re-check.
   */
  readonly inFlight?: { readonly count: number; readonly settled: number; readonly samples: readonly DataSample[] };
}

/** How one side of an output probe ended. */
export interface ProbeSide {
  /** Items compared (lists), 1 / 0 for single results, null after an error. */
  readonly count: number | null;
  readonly error: string | null;
}

export interface ProbeDifference {
  readonly message: string;
  /** Position of the first difference in a list output, null otherwise. */
  readonly index: number | null;
  readonly mongo: unknown;
  readonly postgres: unknown;
  readonly differences: readonly FieldDifference[];
  /** Ids present on one side only (first few), to tell membership from ordering. */
  readonly onlyInMongo: readonly string[];
  readonly onlyInPostgres: readonly string[];
}

export interface ProbeReport {
  readonly name: string;
  readonly entity: string;
  /** Tenant the probe ran as (null for entities that are not tenant-scoped). */
  readonly tenant: string | null;
  readonly kind: 'generic' | 'module';
  /** `inFlight`: the outputs differed and kept changing on every re-run (writes under way); not a mismatch. */
  readonly status: 'match' | 'mismatch' | 'error' | 'inFlight';
  readonly mongo: ProbeSide;
  readonly postgres: ProbeSide;
  /** The list was cut after `maxListItems` (at the end of a tie group). */
  readonly truncated: boolean;
  readonly difference: ProbeDifference | null;
}

export interface OutputReport {
  /** Distinct tenants found in the legacy collections. */
  readonly tenantsFound: number;
  /** The tenants probed (sorted, capped). */
  readonly tenants: readonly string[];
  readonly probes: readonly ProbeReport[];
  readonly notes: readonly string[];
}

export interface ReportSummary {
  readonly ok: boolean;
  readonly mismatches: number;
  readonly dataMismatches: number;
  readonly outputMismatches: number;
  readonly entities: number;
  readonly comparedEntities: number;
  readonly matchedRows: number;
  readonly accountedRows: number;
  readonly probes: number;
  readonly matchedProbes: number;
  /** Rows and probes still in flight (verification under traffic); absent when none. */
  readonly inFlight?: { readonly rows: number; readonly probes: number };
}

/** What the run used, without secrets (passwords masked). */
export interface ReportConfig {
  readonly fingerprint: string;
  readonly mongo: { readonly kind: string; readonly url: string; readonly database: string };
  readonly postgres: { readonly url: string };
  readonly options: {
    readonly sampleSize: number;
    readonly maxTenants: number;
    readonly maxListItems: number;
    readonly pageSize: number;
    readonly lookupSamples: number;
    readonly referenceTime: string | null;
  };
}

/** Timestamps and durations: excluded from the digest. */
export interface ReportTimings {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly dataMs: Readonly<Record<string, number>>;
  readonly outputMs: number;
}

/** What the report hides (see `src/codec/sensitive.ts`). */
export interface ReportRedaction {
  /** Sensitive fields of the verified entities (`entity.field`): shown only as `sensitive:<fingerprint>`. */
  readonly fields: readonly string[];
  /** Distinct fingerprints shown in this report (equal values, equal fingerprints, within one report). */
  readonly fingerprints: number;
  /** sha256 over the real values behind the fingerprints, in order of first appearance: the digest covers the real data. */
  readonly valuesDigest: string;
}

export interface VerifyReport {
  readonly format: 'stellaops-parity-report';
  readonly version: 1;
  readonly module: string;
  readonly collections: readonly string[];
  readonly config: ReportConfig;
  readonly summary: ReportSummary;
  readonly data: readonly EntityDataReport[];
  readonly output: OutputReport;
  readonly redaction: ReportRedaction;
  readonly timings: ReportTimings;
  /** sha256 of the canonical JSON of the report without timings (see `reportDigest`). */
  readonly digest: string;
}
