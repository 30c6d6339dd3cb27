import type { Entity } from './entity-spec.js';
import { repositoryToken } from './module-definition.js';
import type { AuditRecord, EntityRepository } from './repository.js';

/**
 * Authority: identities, OAuth clients and tokens, roles and grants (schema `authority`).
 * Each repository is the generic contract over its entity; ask the container for it by token.
 *
 * @example
 * const users = container.get<UserRepository>(AuthorityTokens.user);
 * const alice = await users.findOne(ctx, { username: 'alice' });
 */
export interface User extends Entity {
  username: string;
  email: string | null;
  displayName: string | null;
  passwordHash: string | null;
  status: 'active' | 'disabled' | 'locked';
  mfaEnabled: boolean;
  lastLoginAt: Date | null;
}

export interface Role extends Entity {
  name: string;
  description: string | null;
  permissions: string[];
}

export interface Grant extends Entity {
  principalId: string;
  principalType: 'user' | 'service_account' | 'client';
  roleId: string;
  grantedBy: string | null;
  expiresAt: Date | null;
}

export interface OAuthClient extends Entity {
  clientId: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  enabled: boolean;
}

export interface Scope extends Entity {
  name: string;
  description: string | null;
  isDefault: boolean;
}

export interface OAuthToken extends Entity {
  tokenHash: string;
  clientId: string;
  subjectId: string | null;
  tokenType: 'access' | 'refresh' | 'device';
  scopes: string[];
  issuedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface ServiceAccount extends Entity {
  accountId: string;
  displayName: string;
  description: string | null;
  enabled: boolean;
  authorizedClients: string[];
}

export interface LoginAttempt extends Entity {
  username: string;
  subjectId: string | null;
  successful: boolean;
  reason: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  attemptedAt: Date;
}

export interface Revocation extends Entity {
  category: 'token' | 'subject' | 'client' | 'key';
  revocationId: string;
  reason: string | null;
  revokedAt: Date;
  expiresAt: Date | null;
}

export type AuditLogEntry = AuditRecord;

export type UserRepository = EntityRepository<User>;
export type RoleRepository = EntityRepository<Role>;
export type GrantRepository = EntityRepository<Grant>;
export type OAuthClientRepository = EntityRepository<OAuthClient>;
export type ScopeRepository = EntityRepository<Scope>;
export type OAuthTokenRepository = EntityRepository<OAuthToken>;
export type ServiceAccountRepository = EntityRepository<ServiceAccount>;
export type LoginAttemptRepository = EntityRepository<LoginAttempt>;
export type RevocationRepository = EntityRepository<Revocation>;
export type AuditLogRepository = EntityRepository<AuditLogEntry & Entity>;

export const AuthorityTokens = Object.freeze({
  user: repositoryToken('Authority', 'user'),
  role: repositoryToken('Authority', 'role'),
  grant: repositoryToken('Authority', 'grant'),
  oauth_client: repositoryToken('Authority', 'oauth_client'),
  scope: repositoryToken('Authority', 'scope'),
  oauth_token: repositoryToken('Authority', 'oauth_token'),
  service_account: repositoryToken('Authority', 'service_account'),
  login_attempt: repositoryToken('Authority', 'login_attempt'),
  revocation: repositoryToken('Authority', 'revocation'),
  audit_log: repositoryToken('Authority', 'audit_log'),
});
