import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { schedulerSamples } from './scheduler-samples.js';

describeTenantIsolation(schedulerModule, schedulerSamples);
