import { concelierModule } from '../../src/modules/concelier/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { concelierSamples } from './concelier-samples.js';

describeTenantIsolation(concelierModule, concelierSamples);
