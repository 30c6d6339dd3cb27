import { artifactModule } from '../../src/modules/artifact/index.js';
import { artifactSamples } from '../artifact/artifact-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(artifactModule, artifactSamples);
