/**
 * The public API of `stellaops-persistence`: what a service imports. Everything here is stable;
 * deeper paths are internal. README "Using it as a library" shows a whole program.
 *
 * - the runtime (the Inversify container built from config) and the config loader;
 * - every module's entity types, repository interfaces and container tokens (`AuthorityTokens`,
 *   `SchedulerTokens`, ...), the tenant context and the errors every backend raises alike;
 * - conversion (`runConversion`) and parity (`runVerify`) entry points, migrations and maintenance;
 * - logs (`createLogger`) and metrics (`metricsHandler`, `runtime.metrics()`).
 *
 * `JOB_STATUSES` is Scheduler's (also `SCHEDULER_JOB_STATUSES`; Concelier's is `CONCELIER_JOB_STATUSES`);
 * `IllegalTransitionError` is one class for every state machine (also exported under its former
 * names `NotifyIllegalTransitionError` and `RegistryIllegalTransitionError`); `JsonValue` is the same
 * type in Concelier and Policy.
 *
 * @example
 * import { loadConfig, PersistenceRuntime, AuthorityTokens, tenantContext, type UserRepository } from 'stellaops-persistence';
 * const runtime = await PersistenceRuntime.start(loadConfig());
 * const users = runtime.get<UserRepository>(AuthorityTokens.user);
 */
import 'reflect-metadata';

// Runtime, container and configuration.
export { PersistenceRuntime, type RuntimeOptions, type BackendHealth } from './app/persistence-runtime.js';
export { CoreTokens } from './container/tokens.js';
export { loadConfig, type LoadConfigOptions } from './config/load-config.js';
export { adminUrlOf, dualWriteFor, type PersistenceConfig, type DualWriteSettings } from './config/persistence-config.js';
export { MODULES, moduleByName } from './modules/registry.js';

// Contracts: entities, repositories, tokens, tenant context, errors (src/interfaces knows no database).
export * from './interfaces/errors.js';
export * from './interfaces/tenant-context.js';
export * from './interfaces/clock.js';
export * from './interfaces/modules.js';
export * from './interfaces/entity-spec.js';
export * from './interfaces/repository.js';
export * from './interfaces/list-all.js';
export * from './interfaces/module-definition.js';
export * from './interfaces/authority.js';
export * from './interfaces/scheduler.js';
export * from './interfaces/notify.js';
export * from './interfaces/policy.js';
export * from './interfaces/concelier.js';
export * from './interfaces/excititor.js';
export * from './interfaces/unknowns.js';
// The Unknowns rules every backend applies (they hash and compare: not a contract, but public since 0.1).
export { subjectHashOf, believedAt, validAt, openedRecord, planAssertion, checkSubject, checkTimes, type PlannedRow, type AssertionPlan } from './modules/excititor/unknowns/rules.js';
export * from './interfaces/packs-registry.js';
export * from './interfaces/issuer-directory.js';
export * from './interfaces/artifact.js';
// Former and prefixed names (see above).
export { JOB_STATUSES as SCHEDULER_JOB_STATUSES } from './interfaces/scheduler.js';
export { IllegalTransitionError as NotifyIllegalTransitionError, IllegalTransitionError as RegistryIllegalTransitionError } from './interfaces/errors.js';
export type { JsonValue } from './interfaces/concelier.js';

// DualWrite events and the reconciler's report.
export type { DualWriteEvent } from './dualwrite/apply-pending.js';
export type { ReconcileReport } from './dualwrite/reconciler.js';
export type { ExperimentResult } from './dualwrite/experiment.js';

// Conversion (docs/design.md §8) and parity (docs/design.md §9).
export {
  runConversion,
  formatSummary,
  ConversionOptionsError,
  ConversionFailedError,
  TIER_OPTIONS,
  type ConversionOptions,
  type ConversionReport,
  type CollectionSummary,
  type TierOption,
  type ProgressMode,
} from './conversion/index.js';
export {
  runVerify,
  summaryLine,
  VerifySelectionError,
  VERIFY_DEFAULTS,
  REPORT_FORMATS,
  type VerifyOptions,
  type VerifyResult,
  type ReportFormat,
  type VerifyReport,
  type ReportSummary,
} from './parity/index.js';

// PostgreSQL maintenance: migrations, row-level security check, partitions.
export { runMigrations, migrationStatus, coreMigrationSet, moduleMigrationSet, MigrationChecksumError, MigrationError, type MigrationCategory } from './postgres/migrations/index.js';
export { migrationSetsFor } from './container/migration-sets.js';
export { rlsCheck, type RlsCheckReport } from './postgres/rls-check.js';
// Live cutover: change-stream catch-up and the phases with their checks.
export { ChangeFollower, type FollowerOptions, type FollowRunOptions, type FollowReport } from './follow/change-follower.js';
export { readFollowStates, type FollowState } from './follow/follow-store.js';
export { PHASES, PHASE_CONFIG, type Phase, type PhaseConfig } from './cutover/cutover-phases.js';
export { checksFor, runChecks, type CheckContext } from './cutover/cutover-checks.js';
export { readCutover, recordMove, type CheckResult, type CutoverMove, type CutoverRecord } from './cutover/cutover-store.js';
export { maintainPartitions, partitionedTablesOf, type MaintenanceReport } from './postgres/partitions.js';

// Observability.
export { createLogger, maskSecrets, SECRET_KEYS, type Logger, type LoggerOptions } from './logging/logger.js';
export { PersistenceMetrics, METRICS_SOURCES, metricsHandler, type MetricsSources, type MetricsExposition, type PendingBacklog, type ConversionProgress, type QueueDepth } from './metrics/index.js';
export { MaintenanceRoleError } from './postgres/observability-queries.js';
