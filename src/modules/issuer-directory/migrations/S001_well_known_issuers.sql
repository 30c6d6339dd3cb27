-- Seed (applied only by `migrate --seed`): well-known CSAF / VEX publishers, reference data held by
-- the IssuerDirectory system tenant 00000000-0000-0000-0000-000000000000 (ISSUER_SYSTEM_TENANT_ID),
-- from which tenants adopt issuers. Keys are not seeded: they are fetched from each provider's
-- metadata and verified, never shipped as constants.
-- Ids are deterministic: derivedUuid('seed', 'IssuerDirectory.issuer', issuerId) (src/codec/ids.ts);
-- timestamps are fixed. Idempotent: rows already there (same id or same issuer id) are left alone.
-- RLS is forced even for the owner: the tenant is set for this migration's transaction only.
select set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', true);

insert into issuer.issuer
  (id, tenant_id, issuer_id, display_name, category, namespace_uri, contact_email, provider_metadata_url,
   formats, default_weight, enabled, created_at, updated_at, legacy_id)
values
  ('0540bc27-9de9-5151-8a83-32b0951f46a0', '00000000-0000-0000-0000-000000000000', 'redhat', 'Red Hat Product Security', 'vendor',
   'https://www.redhat.com', 'secalert@redhat.com', 'https://access.redhat.com/.well-known/csaf/provider-metadata.json',
   '{csaf,csaf-vex}', 0.9, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('22a2b191-67f1-5825-ae75-68883a7fa914', '00000000-0000-0000-0000-000000000000', 'suse', 'SUSE Security', 'vendor',
   'https://www.suse.com', 'security@suse.de', 'https://www.suse.com/.well-known/csaf/provider-metadata.json',
   '{csaf,csaf-vex}', 0.9, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('590723c5-948b-5669-bf58-faccb4b6793a', '00000000-0000-0000-0000-000000000000', 'ubuntu', 'Canonical Ubuntu Security', 'vendor',
   'https://ubuntu.com', 'security@ubuntu.com', null,
   '{openvex}', 0.85, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('a2f07add-1056-5901-b665-bb186a393df5', '00000000-0000-0000-0000-000000000000', 'debian', 'Debian Security Team', 'vendor',
   'https://www.debian.org', 'team@security.debian.org', null,
   '{openvex}', 0.85, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('914b5736-26b0-5cb2-bbf9-6246bea8d41c', '00000000-0000-0000-0000-000000000000', 'cisa', 'CISA', 'coordinator',
   'https://www.cisa.gov', 'central@cisa.dhs.gov', 'https://www.cisa.gov/.well-known/csaf/provider-metadata.json',
   '{csaf}', 0.8, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null),
  ('0c33a61d-1b09-57b5-beef-6dbcc85dd1ae', '00000000-0000-0000-0000-000000000000', 'bsi', 'BSI CERT-Bund', 'coordinator',
   'https://www.bsi.bund.de', 'certbund@bsi.bund.de', 'https://wid.cert-bund.de/.well-known/csaf/provider-metadata.json',
   '{csaf}', 0.8, true, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z', null)
on conflict do nothing;
