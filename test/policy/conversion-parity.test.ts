import { policyModule } from '../../src/modules/policy/index.js';
import { describeConversionParity } from './conversion-parity-support.js';

describeConversionParity(policyModule, ['policy_evaluation_runs']);
