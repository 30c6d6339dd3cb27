import { authorityModule } from '../../src/modules/authority/index.js';
import { authoritySamples } from '../contract/authority-samples.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';

describeTenantIsolation(authorityModule, authoritySamples);
