import { excititorModule } from '../../src/modules/excititor/index.js';
import { excititorSamples } from '../excititor/excititor-samples.js';
import { describeModuleContract } from './repository-contract.js';

// vuln_fact (immutable: the contract's update test cannot apply) and unknown (bitemporal) have their
// own suites on the three backends: test/excititor/vuln-fact.test.ts, test/unknowns/*.test.ts.
describeModuleContract({ ...excititorModule, entities: excititorModule.entities.filter((e) => e.name !== 'vuln_fact' && e.name !== 'unknown') }, excititorSamples);
