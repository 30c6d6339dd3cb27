import { issuerDirectoryModule } from '../../src/modules/issuer-directory/index.js';
import { describeConversionParity } from '../policy/conversion-parity-support.js';

describeConversionParity(issuerDirectoryModule);
