import { authorityModule } from '../../src/modules/authority/index.js';
import { authoritySamples } from './authority-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(authorityModule, authoritySamples);
