import { policyModule } from '../../src/modules/policy/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { policySamples } from './policy-samples.js';

describeTenantIsolation(policyModule, policySamples);
