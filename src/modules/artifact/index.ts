import { ArtifactTokens } from '../../interfaces/artifact.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { artifactDemo } from './demo.js';
import { artifactEntities } from './entities.js';
import { artifactProbes } from './probes.js';

export { SbomImporter } from './sbom-importer.js';
export { sbomContentHash } from './sbom-derive.js';

/**
 * The Artifact module (schema `artifact`): artifacts, signatures, tags and SBOM documents.
 *
 * @example
 * const runtime = await PersistenceRuntime.start(config, { modules: [artifactModule] });
 * const sboms = runtime.repository<SbomDocument>('Artifact', 'sbom_document');
 */
export const artifactModule: ModuleDefinition = Object.freeze({
  name: 'Artifact',
  folder: 'artifact',
  schemas: ['artifact'],
  entities: artifactEntities,
  tokens: ArtifactTokens,
  probes: artifactProbes,
  demo: artifactDemo,
});
