import { excititorModule } from '../../src/modules/excititor/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { excititorSamples, vulnFactSample } from './excititor-samples.js';

// unknowns.unknown is append-only (the app role has no DELETE at all, so the generic "delete finds 0
// rows" step cannot run): its isolation is tested in test/unknowns/*.test.ts.
describeTenantIsolation(
  { ...excititorModule, entities: excititorModule.entities.filter((e) => e.name !== 'unknown') },
  { ...excititorSamples, vuln_fact: vulnFactSample },
);
