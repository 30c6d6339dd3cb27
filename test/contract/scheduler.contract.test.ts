import { schedulerModule } from '../../src/modules/scheduler/index.js';
import { schedulerSamples } from '../scheduler/scheduler-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(schedulerModule, schedulerSamples);
