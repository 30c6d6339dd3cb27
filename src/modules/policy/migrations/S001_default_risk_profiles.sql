-- Seed (applied only by `migrate --seed`): the default risk profiles, reference data held by the
-- Policy system tenant 00000000-0000-0000-0000-000000000000 (POLICY_SYSTEM_TENANT_ID), from which
-- services read defaults and which a tenant copies when it customises a profile.
-- Ids are deterministic: derivedUuid('seed', 'Policy.risk_profile', profileId, version)
-- (src/codec/ids.ts); timestamps are fixed, so every database gets byte-identical rows.
-- Idempotent: rows already there (same id or same profile version) are left alone.
-- RLS is forced even for the owner: the tenant is set for this migration's transaction only.
select set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', true);

insert into policy.risk_profile
  (id, tenant_id, profile_id, version, name, description, is_default, extends_profile_id, weights, thresholds, created_at, updated_at, legacy_id)
values
  ('6d103d64-43aa-5349-93d3-8a0f66bb27a4', '00000000-0000-0000-0000-000000000000', 'default', 1, 'Default',
   'Balanced scoring: CVSS first, exploitation signals (EPSS, KEV) and reachability as modifiers.', true, null,
   '{"cvss": 0.5, "epss": 0.2, "kev": 0.2, "reachability": 0.1}',
   '{"critical": 9.0, "high": 7.0, "medium": 4.0, "low": 0.1}',
   '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('ce15b4af-c971-5763-921e-9b48491cd9a0', '00000000-0000-0000-0000-000000000000', 'strict', 1, 'Strict',
   'For regulated and internet-facing workloads: exploited vulnerabilities weigh most, lower bands.', false, 'default',
   '{"cvss": 0.35, "epss": 0.25, "kev": 0.3, "reachability": 0.1}',
   '{"critical": 8.0, "high": 6.0, "medium": 3.0, "low": 0.1}',
   '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('20bf07dc-be7a-5b70-b7bc-ffe8b6ec4a10', '00000000-0000-0000-0000-000000000000', 'lenient', 1, 'Lenient',
   'For internal tooling and development: unreachable code weighs less.', false, 'default',
   '{"cvss": 0.5, "epss": 0.15, "kev": 0.15, "reachability": 0.2}',
   '{"critical": 9.5, "high": 8.0, "medium": 5.0, "low": 0.1}',
   '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null)
on conflict do nothing;
