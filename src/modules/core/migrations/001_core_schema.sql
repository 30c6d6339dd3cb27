-- core: the cross-cutting schemas (SPEC 2).
-- The runner has already created schema core with core.migration_history, core.schema_version and
-- core.data_migration_progress before this file runs (they record this very migration).
-- Later core files (010 and up) add the outbox, conversion checkpoints, quarantine and the dual-write log.

create schema if not exists core;

-- The shared audit log lives here (audit.audit_log, added by a later migration).
create schema if not exists audit;
