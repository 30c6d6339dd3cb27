import type { Document } from 'bson';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import type { RegistryState } from '../../interfaces/packs-registry.js';
import { DemoRandom, demoId, idFor, legacyDocument, minutesBefore, mixedLegacyId } from '../shared/demo-random.js';
import { auditLog, registryEntry, registryVersion } from './entities.js';

const DAY_MIN = 24 * 60;
const PUBLISHERS = ['stellaops', 'acme-security', 'Contoso', 'öpen-policy'];
const PACKS = ['baseline', 'cis-docker', 'nist-800-190', 'kev-block', 'license-guard', 'fips-crypto'];

/**
 * Generated legacy PacksRegistry documents: per tenant about `count / 2` entries and `count`
 * versions in every publication state, each with lifecycle timestamps consistent with its state,
 * artifact digests, and signature references on most published ones.
 */
export function* packsRegistryDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now } = options;
  const count = Math.max(1, options.count);
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'PacksRegistry', tenantId);
    const id = (collection: string, i: number | string) => demoId('PacksRegistry', collection, tenantId, seed, i);

    const entryIds: string[] = [];
    const entryCount = Math.max(1, Math.ceil(count / 2));
    for (let i = 0; i < entryCount; i++) {
      const publisher = PUBLISHERS[i % PUBLISHERS.length]!;
      const entryId = id('packs_registry_entries', i);
      entryIds.push(entryId);
      const at = minutesBefore(now, 500 * DAY_MIN - i * 31);
      yield [registryEntry.collection, legacyDocument(registryEntry, {
        id: entryId, tenantId, createdAt: at, updatedAt: at,
        name: `${publisher}/${PACKS[i % PACKS.length]}${i >= PACKS.length ? `-${i}` : ''}`, publisher,
        description: r.bool(0.7) ? 'Distributable policy pack' : null,
        visibility: r.pick(['public', 'internal', 'private'] as const),
        homepage: r.bool() ? `https://packs.example.org/${publisher}` : null,
        tags: r.bool() ? ['policy', publisher] : [],
      }, i % 2 === 0)];
    }

    for (let i = 0; i < count; i++) {
      const entryId = entryIds[i % entryIds.length]!;
      const minor = Math.floor(i / entryIds.length);
      const state = r.pick(['draft', 'published', 'published', 'deprecated', 'yanked'] as RegistryState[]);
      const created = minutesBefore(now, 300 * DAY_MIN - i * 53);
      const publishedAt = state === 'draft' ? null : new Date(created.getTime() + 3_600_000);
      const deprecatedAt = state === 'deprecated' ? new Date(created.getTime() + 30 * 86_400_000) : null;
      const yankedAt = state === 'yanked' ? new Date(created.getTime() + 10 * 86_400_000) : null;
      const signed = state !== 'draft' && r.bool(0.8);
      const digest = `sha256:${r.hex(64)}`;
      const lid = mixedLegacyId(r, registryVersion.collection, tenantId, i);
      yield [registryVersion.collection, legacyDocument(registryVersion, {
        id: idFor(registryVersion.collection, lid, id('packs_registry_versions', i)), tenantId, createdAt: created,
        updatedAt: yankedAt ?? deprecatedAt ?? publishedAt ?? created,
        entryId, version: `1.${minor * 3 + (i % 3)}.${r.int(0, 12)}`, state, digest,
        sizeBytes: BigInt(r.int(2_000, 900_000)) * (i % 7 === 0 ? 5_000n : 1n),
        mediaType: 'application/vnd.stellaops.policy-pack.v1+tar+gzip',
        artifactUri: `oci://registry.example.org/packs/${entryId}@${digest}`,
        signatureRef: signed ? `oci://registry.example.org/packs/${entryId}:${digest.replace(':', '-')}.sig` : null,
        signatureDigest: signed ? `sha256:${r.hex(64)}` : null,
        signerKeyId: signed ? `sha256:${r.hex(64)}` : null,
        releaseNotes: r.bool() ? `Release ${i}` : null,
        publishedAt, deprecatedAt, yankedAt, yankReason: yankedAt ? 'broken rule set' : null,
      }, i % 3 === 0, lid)];
    }

    for (let i = 0; i < Math.max(1, Math.floor(count / 2)); i++) {
      const at = minutesBefore(now, 500 * DAY_MIN - i * 31);
      const lid = mixedLegacyId(r, auditLog.collection, tenantId, i);
      yield [auditLog.collection, legacyDocument(auditLog, {
        id: idFor(auditLog.collection, lid, id('packs_registry_audit', i)), tenantId, createdAt: at, updatedAt: at,
        actorId: null, action: 'insert', entityType: 'PacksRegistry.registry_entry',
        entityId: entryIds[i % entryIds.length]!, at, diff: { after: { publisher: PUBLISHERS[i % PUBLISHERS.length]! } },
      }, false, lid)];
    }
  }
}
