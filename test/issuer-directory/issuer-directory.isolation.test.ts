import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { issuerDirectorySamples } from './issuer-directory-samples.js';

describeTenantIsolation(issuerDirectoryModule, issuerDirectorySamples);
