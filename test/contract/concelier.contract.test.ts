import { concelierModule } from '../../src/modules/concelier/index.js';
import { concelierSamples } from '../concelier/concelier-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(concelierModule, concelierSamples);
