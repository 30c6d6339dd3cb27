import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { issuerDirectorySamples } from '../issuer-directory/issuer-directory-samples.js';
import { describeModuleContract } from './repository-contract.js';

describeModuleContract(issuerDirectoryModule, issuerDirectorySamples);
