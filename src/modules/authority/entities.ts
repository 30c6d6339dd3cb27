import type { EntitySpec } from '../../interfaces/entity-spec.js';
import type { Grant, LoginAttempt, OAuthClient, OAuthToken, Revocation, Role, Scope, ServiceAccount, User } from '../../interfaces/authority.js';
import { auditLogSpec } from '../shared/audit-log.js';

/**
 * Authority's entities: legacy collections (docs/design.md §2) -> `authority.*` tables.
 * Legacy documents are camelCase with a string `tenantId` and BSON Dates; field names below are
 * both the domain and the legacy names unless `mongo` says otherwise.
 */
const base = { module: 'Authority', schema: 'authority' } as const;
const DAY = 86_400_000;

export const auditLog = auditLogSpec('Authority', 'audit', 'authority');

export const user: EntitySpec<User> = {
  ...base,
  name: 'user',
  collection: 'authority_users',
  table: 'user',
  fields: [
    { name: 'username', type: 'text' },
    { name: 'email', type: 'text', nullable: true },
    { name: 'displayName', type: 'text', nullable: true },
    { name: 'passwordHash', type: 'text', nullable: true, sensitive: true },
    { name: 'status', type: 'text', enum: ['active', 'disabled', 'locked'] },
    { name: 'mfaEnabled', type: 'bool' },
    { name: 'lastLoginAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['username']],
  orders: {
    default: { fields: [{ field: 'username', dir: 'asc' }] },
    newest: { fields: [{ field: 'createdAt', dir: 'desc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const role: EntitySpec<Role> = {
  ...base,
  name: 'role',
  collection: 'roles',
  table: 'role',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'permissions', type: 'text[]' },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const grant: EntitySpec<Grant> = {
  ...base,
  name: 'grant',
  collection: 'grants',
  table: 'grant',
  fields: [
    { name: 'principalId', type: 'uuid' },
    { name: 'principalType', type: 'text', enum: ['user', 'service_account', 'client'] },
    { name: 'roleId', type: 'uuid' },
    { name: 'grantedBy', type: 'uuid', nullable: true },
    { name: 'expiresAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['principalId', 'roleId']],
  orders: {
    default: { fields: [{ field: 'principalId', dir: 'asc' }, { field: 'roleId', dir: 'asc' }] },
    byRole: { fields: [{ field: 'roleId', dir: 'asc' }, { field: 'principalId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const oauthClient: EntitySpec<OAuthClient> = {
  ...base,
  name: 'oauth_client',
  collection: 'authority_clients',
  table: 'oauth_client',
  fields: [
    { name: 'clientId', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'secretHash', type: 'text', nullable: true, sensitive: true },
    { name: 'redirectUris', type: 'text[]' },
    { name: 'grantTypes', type: 'text[]' },
    { name: 'scopes', type: 'text[]' },
    { name: 'enabled', type: 'bool' },
  ],
  uniqueKeys: [['clientId']],
  orders: { default: { fields: [{ field: 'clientId', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const scope: EntitySpec<Scope> = {
  ...base,
  name: 'scope',
  collection: 'authority_scopes',
  table: 'scope',
  fields: [
    { name: 'name', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'isDefault', type: 'bool' },
  ],
  uniqueKeys: [['name']],
  orders: { default: { fields: [{ field: 'name', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const oauthToken: EntitySpec<OAuthToken> = {
  ...base,
  name: 'oauth_token',
  collection: 'authority_tokens',
  table: 'oauth_token',
  fields: [
    { name: 'tokenHash', type: 'text', sensitive: true },
    { name: 'clientId', type: 'text' },
    { name: 'subjectId', type: 'uuid', nullable: true },
    { name: 'tokenType', type: 'text', enum: ['access', 'refresh', 'device'] },
    { name: 'scopes', type: 'text[]' },
    { name: 'issuedAt', type: 'timestamp' },
    { name: 'expiresAt', type: 'timestamp' },
    { name: 'revokedAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['tokenHash']],
  orders: {
    default: { fields: [{ field: 'issuedAt', dir: 'desc' }] },
    byExpiry: { fields: [{ field: 'expiresAt', dir: 'asc' }] },
  },
  // Only live tokens move: neither revoked nor expired at the job's reference time.
  tier: {
    tier: 'B',
    description: 'active tokens only: revokedAt is null and expiresAt > now',
    keep: (t, now) => t.revokedAt === null && (t.expiresAt as Date).getTime() > now.getTime(),
  },
};

export const serviceAccount: EntitySpec<ServiceAccount> = {
  ...base,
  name: 'service_account',
  collection: 'authority_service_accounts',
  table: 'service_account',
  fields: [
    { name: 'accountId', type: 'text' },
    { name: 'displayName', type: 'text' },
    { name: 'description', type: 'text', nullable: true },
    { name: 'enabled', type: 'bool' },
    { name: 'authorizedClients', type: 'text[]' },
  ],
  uniqueKeys: [['accountId']],
  orders: { default: { fields: [{ field: 'accountId', dir: 'asc' }] } },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const loginAttempt: EntitySpec<LoginAttempt> = {
  ...base,
  name: 'login_attempt',
  collection: 'authority_login_attempts',
  table: 'login_attempt',
  fields: [
    { name: 'username', type: 'text' },
    { name: 'subjectId', type: 'uuid', nullable: true },
    { name: 'successful', type: 'bool' },
    { name: 'reason', type: 'text', nullable: true },
    { name: 'ipAddress', type: 'text', nullable: true },
    { name: 'userAgent', type: 'text', nullable: true },
    { name: 'attemptedAt', type: 'timestamp' },
  ],
  orders: {
    default: { fields: [{ field: 'attemptedAt', dir: 'desc' }] },
    byUsername: { fields: [{ field: 'username', dir: 'asc' }, { field: 'attemptedAt', dir: 'desc' }] },
  },
  tier: {
    tier: 'B',
    description: 'attempts of the last 90 days: attemptedAt >= now - 90 days',
    keep: (a, now) => (a.attemptedAt as Date).getTime() >= now.getTime() - 90 * DAY,
  },
};

export const revocation: EntitySpec<Revocation> = {
  ...base,
  name: 'revocation',
  collection: 'authority_revocations',
  table: 'revocation',
  fields: [
    { name: 'category', type: 'text', enum: ['token', 'subject', 'client', 'key'] },
    { name: 'revocationId', type: 'text' },
    { name: 'reason', type: 'text', nullable: true },
    { name: 'revokedAt', type: 'timestamp' },
    { name: 'expiresAt', type: 'timestamp', nullable: true },
  ],
  uniqueKeys: [['category', 'revocationId']],
  orders: {
    default: { fields: [{ field: 'revokedAt', dir: 'desc' }] },
    byKey: { fields: [{ field: 'category', dir: 'asc' }, { field: 'revocationId', dir: 'asc' }] },
  },
  tier: { tier: 'A' },
  audit: auditLog,
};

export const authorityEntities: readonly EntitySpec[] = [
  user, role, grant, oauthClient, scope, oauthToken, serviceAccount, loginAttempt, revocation, auditLog,
];
