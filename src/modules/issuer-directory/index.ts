import { IssuerDirectoryTokens } from '../../interfaces/issuer-directory.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { issuerDirectoryDemo } from './demo.js';
import { issuerDirectoryEntities } from './entities.js';
import { issuerDirectoryProbes } from './probes.js';

export { IssuerKeyLookup, isKeyValidAt } from './key-validity.js';
export { IssuerTrust, isOverrideActive } from './trust.js';

/**
 * The IssuerDirectory module (schema `issuer`): issuers, issuer keys with validity windows and
 * revocation, per-tenant trust overrides (tier A), audit.
 *
 * @example
 * const runtime = await PersistenceRuntime.start(config, { modules: [issuerDirectoryModule] });
 * const key = await runtime.container.resolve(IssuerKeyLookup).findValidKey(ctx, fingerprint, signedAt);
 */
export const issuerDirectoryModule: ModuleDefinition = Object.freeze({
  name: 'IssuerDirectory',
  folder: 'issuer-directory',
  schemas: ['issuer'],
  entities: issuerDirectoryEntities,
  tokens: IssuerDirectoryTokens,
  probes: issuerDirectoryProbes,
  demo: issuerDirectoryDemo,
});
