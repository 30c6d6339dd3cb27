import { packsRegistryModule } from '../../src/modules/packs-registry/index.js';
import { describeConversionParity } from '../policy/conversion-parity-support.js';

describeConversionParity(packsRegistryModule);
