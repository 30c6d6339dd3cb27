import { notifyModule } from '../../src/modules/notify/index.js';
import { notifySamples } from '../notify/notify-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(notifyModule, notifySamples);
