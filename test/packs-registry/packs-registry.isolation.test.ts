import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { packsRegistrySamples } from './packs-registry-samples.js';

describeTenantIsolation(packsRegistryModule, packsRegistrySamples);
