import { artifactModule } from '../../src/modules/artifact/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { artifactSamples } from './artifact-samples.js';

describeTenantIsolation(artifactModule, artifactSamples);
