import { policyModule } from '../../src/modules/policy/index.js';
import { policySamples } from '../policy/policy-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(policyModule, policySamples);
