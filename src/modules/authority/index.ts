import { AuthorityTokens } from '../../interfaces/authority.js';
import type { ModuleDefinition } from '../../interfaces/module-definition.js';
import { authorityDemo } from './demo.js';
import { authorityEntities } from './entities.js';

/** The Authority module (schema `authority`). */
export const authorityModule: ModuleDefinition = Object.freeze({
  name: 'Authority',
  folder: 'authority',
  schemas: ['authority'],
  entities: authorityEntities,
  tokens: AuthorityTokens,
  demo: authorityDemo,
});
