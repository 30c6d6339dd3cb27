import type { ModuleSamples } from './repository-contract.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + i * 3_600_123);
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Valid Authority entities; i varies unique keys and order keys. */
export const authoritySamples: ModuleSamples = {
  user: {
    make: (i) => ({ username: `user-${i}-é`, email: `u${i}@example.org`, displayName: `User ${i}`, passwordHash: null, status: 'active', mfaEnabled: i % 2 === 0, lastLoginAt: i % 3 ? at(i) : null }),
    patch: () => ({ status: 'locked', displayName: 'Locked Out' }),
  },
  role: {
    make: (i) => ({ name: `role-${String.fromCharCode(97 + (i % 26))}${i}`, description: i % 2 ? 'desc' : null, permissions: ['scan:read', `p${i}`] }),
    patch: () => ({ permissions: ['admin:*'] }),
  },
  grant: {
    make: (i) => ({ principalId: uuid(i), principalType: 'user', roleId: uuid(1000 + (i % 3)), grantedBy: null, expiresAt: i % 2 ? at(i) : null }),
    patch: (i) => ({ expiresAt: at(i + 100) }),
  },
  oauth_client: {
    make: (i) => ({ clientId: `client-${i}`, name: `Client ${i}`, secretHash: 'sha256:abc', redirectUris: [`https://app${i}.example.org/cb`], grantTypes: ['authorization_code'], scopes: ['openid'], enabled: true }),
    patch: () => ({ enabled: false, scopes: ['openid', 'profile'] }),
  },
  scope: {
    make: (i) => ({ name: `scope:${i}`, description: null, isDefault: i % 2 === 0 }),
    patch: () => ({ description: 'now described' }),
  },
  oauth_token: {
    make: (i) => ({ tokenHash: `h${i}`, clientId: 'cli', subjectId: uuid(i), tokenType: 'access', scopes: ['openid'], issuedAt: at(i), expiresAt: at(i + 24 - (i % 5)), revokedAt: null }),
    patch: (i) => ({ revokedAt: at(i + 1) }),
  },
  service_account: {
    make: (i) => ({ accountId: `svc-${i}`, displayName: `Service ${i}`, description: null, enabled: true, authorizedClients: [] }),
    patch: () => ({ enabled: false }),
  },
  login_attempt: {
    make: (i) => ({ username: `user-${i % 3}`, subjectId: null, successful: i % 2 === 0, reason: i % 2 ? 'bad_password' : null, ipAddress: '10.0.0.1', userAgent: 'curl/8', attemptedAt: at(i % 4) }),
    patch: () => ({ reason: 'locked' }),
  },
  revocation: {
    make: (i) => ({ category: 'token', revocationId: `rev-${i}`, reason: 'compromised', revokedAt: at(i % 3), expiresAt: null }),
    patch: (i) => ({ expiresAt: at(i + 5) }),
  },
  audit_log: {
    make: (i) => ({ actorId: null, action: 'insert', entityType: 'Authority.user', entityId: uuid(i), at: at(i % 2), diff: { after: { n: i, nested: { $schema: 'x', 'a.b': [1, 2.5, 'é'] } } } }),
    patch: () => ({ diff: { patched: true } }),
  },
};

