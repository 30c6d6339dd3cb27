import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { serialize } from 'bson';
import { decodeDocument } from '../../src/mongo/document-codec.js';
import { artifactDemo } from '../../src/modules/artifact/demo.js';
import { artifactModule } from '../../src/modules/artifact/index.js';

describe('Artifact: demo documents', () => {
  const options = { tenants: [randomUUID(), randomUUID()], count: 6, seed: 7, now: new Date('2026-01-15T00:00:00.000Z'), corpusDir: null };

  it('are deterministic and decode in every collection, all tier A', () => {
    const a = [...artifactDemo(options)].map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString('hex')}`);
    const b = [...artifactDemo(options)].map(([c, d]) => `${c}:${Buffer.from(serialize(d)).toString('hex')}`);
    expect(a).to.deep.equal(b);
    const seen = new Set<string>();
    for (const [collection, doc] of artifactDemo(options)) {
      const spec = artifactModule.entities.find((s) => s.collection === collection)!;
      expect(spec.tier.tier).to.equal('A');
      const { entity } = decodeDocument(spec, doc);
      if (collection === 'sbom_documents') expect(entity.bomFormat).to.equal('CycloneDX');
      seen.add(collection);
    }
    expect([...seen].sort()).to.deep.equal(['artifacts', 'sbom_documents', 'signatures', 'tags']);
  });
});
