import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { packsRegistrySamples } from '../packs-registry/packs-registry-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(packsRegistryModule, packsRegistrySamples);
