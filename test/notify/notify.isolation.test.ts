import { notifyModule } from '../../src/modules/notify/index.js';
import { describeTenantIsolation } from '../contract/tenant-isolation.js';
import { notifySamples } from './notify-samples.js';

describeTenantIsolation(notifyModule, notifySamples);
