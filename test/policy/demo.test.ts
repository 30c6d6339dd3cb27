import { expect } from 'chai';
import type { TierSpec } from '../../src/interfaces/entity-spec.js';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { isKeyValidAt } from '../../src/modules/issuer-directory/key-validity.js';
import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { evaluationRun, packVersion } from '../../src/modules/policy/entities.js';
import { packContentHash, policyModule } from '../../src/modules/policy/index.js';
import { issuerKey } from '../../src/modules/issuer-directory/entities.js';
import { registryVersion } from '../../src/modules/packs-registry/entities.js';
import type { IssuerKey } from '../../src/interfaces/issuer-directory.js';
import { DEMO_OPTIONS, describeDemo } from './demo-support.js';

describeDemo(policyModule, ['oid', 'str', 'uuid']);
describeDemo(packsRegistryModule, ['oid', 'str', 'uuid']);
describeDemo(issuerDirectoryModule, ['oid', 'str', 'uuid']);

const decoded = (collection: string, spec: Parameters<typeof decodeDocument>[0], module: typeof policyModule) =>
  [...module.demo!(DEMO_OPTIONS)].filter(([c]) => c === collection).map(([, d]) => decodeDocument(spec, d).entity);

describe('Policy, PacksRegistry, IssuerDirectory demo data: what the generators promise', () => {
  it('Policy: content hashes are those PackVersionService computes, and runs straddle the tier-B window', () => {
    for (const v of decoded(packVersion.collection, packVersion, policyModule)) {
      expect(v.contentHash).to.equal(packContentHash(v.packId as string, v.schemaVersion as number, v.document as never));
    }
    const tier = evaluationRun.tier as Extract<TierSpec, { tier: 'B' }>;
    const kept = decoded(evaluationRun.collection, evaluationRun, policyModule).map((r) => tier.keep(r, DEMO_OPTIONS.now));
    expect(kept.filter(Boolean).length).to.be.greaterThan(0);
    expect(kept.filter((k) => !k).length).to.be.greaterThan(0);
  });

  it('PacksRegistry: every publication state appears, with lifecycle times consistent with it', () => {
    const versions = decoded(registryVersion.collection, registryVersion, packsRegistryModule);
    expect(new Set(versions.map((v) => v.state))).to.have.keys('draft', 'published', 'deprecated', 'yanked');
    for (const v of versions) {
      expect(v.publishedAt === null, `${v.state} publishedAt`).to.equal(v.state === 'draft');
      expect(v.yankedAt !== null && v.yankReason !== null, `${v.state} yank`).to.equal(v.state === 'yanked');
    }
  });

  it('IssuerDirectory: keys are real Ed25519 keys, some valid now and some not', () => {
    const keys = decoded(issuerKey.collection, issuerKey, issuerDirectoryModule) as unknown as IssuerKey[];
    expect(keys.every((k) => k.publicKey.startsWith('-----BEGIN PUBLIC KEY-----'))).to.equal(true);
    const valid = keys.map((k) => isKeyValidAt(k, DEMO_OPTIONS.now));
    expect(valid.filter(Boolean).length).to.be.greaterThan(0);
    expect(valid.filter((v) => !v).length).to.be.greaterThan(0);
  });
});
