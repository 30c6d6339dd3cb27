import type { Document } from 'bson';
import { idFromLegacyId } from '../../codec/ids.js';
import type { DemoOptions } from '../../interfaces/module-definition.js';
import { legacyIdOf } from '../../mongo/legacy-id.js';
import { DemoRandom, legacyDocument, minutesBefore } from '../shared/demo-random.js';
import { auditLog, grant, loginAttempt, oauthClient, oauthToken, revocation, role, scope, serviceAccount, user } from './entities.js';
import type { EntitySpec } from '../../interfaces/entity-spec.js';

const DAY_MIN = 24 * 60;
const FIRST = ['ada', 'Björn', 'chen', 'dmitri', 'Émile', 'fatima', 'grace', 'hiro', 'ines', 'jamal', 'kofi', 'lena'];

/**
 * Generated legacy Authority documents, per tenant, deterministic for a seed: ObjectId, string and
 * UUID `_id`s mixed (as a legacy store has them), tokens live, expired and revoked, and login
 * attempts spread over twice the 90-day window, so tier B keeps some and skips others.
 */
export function* authorityDemo(options: DemoOptions): Iterable<readonly [string, Document]> {
  const { seed, now } = options;
  const count = Math.max(1, options.count);
  for (const tenantId of options.tenants) {
    const r = new DemoRandom(seed, 'Authority', tenantId);
    // Legacy ids: mostly ObjectIds, some strings, some UUIDs (docs/design.md §6 maps each differently).
    const legacy = (spec: EntitySpec, i: number) => {
      const k = r.int(0, 9);
      if (k < 7) return `oid:${r.hex(24)}`;
      if (k < 9) return `str:${spec.table}-${tenantId.slice(0, 8)}-${i}`;
      return `uuid:${idFromLegacyId(`${spec.collection}#uuid`, `str:${tenantId}-${i}-${seed}`)}`;
    };
    const doc = (spec: EntitySpec, i: number, minutesAgo: number, fields: Record<string, unknown>) => {
      const legacyId = legacy(spec, i);
      const at = minutesBefore(now, minutesAgo);
      const entity = { id: idFromLegacyId(spec.collection, legacyId), tenantId, createdAt: at, updatedAt: at, ...fields };
      return [spec.collection, legacyDocument(spec, entity, r.bool(0.3), legacyId)] as const;
    };

    const roleIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = doc(role, i, 500 * DAY_MIN, { name: ['admin', 'Auditor', 'operator', 'viewer', 'éditeur'][i], description: i % 2 ? null : `Role ${i}`, permissions: ['scan:read', `perm:${i}`] });
      roleIds.push(idFromLegacyId(role.collection, legacyIdOf(d[1]._id)));
      yield d;
    }
    const userIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${r.pick(FIRST)}.${i}`;
      const d = doc(user, i, r.int(0, 400) * DAY_MIN, {
        username: name, email: r.bool(0.8) ? `${name.toLowerCase()}@example.org` : null, displayName: r.bool(0.5) ? name : null,
        passwordHash: r.bool(0.7) ? `$argon2id$v=19$${r.hex(32)}` : null, status: r.pick(['active', 'active', 'disabled', 'locked']),
        mfaEnabled: r.bool(0.4), lastLoginAt: r.bool(0.6) ? minutesBefore(now, r.int(1, 90 * DAY_MIN)) : null,
      });
      userIds.push(idFromLegacyId(user.collection, legacyIdOf(d[1]._id)));
      yield d;
    }
    for (let i = 0; i < count; i++) {
      yield doc(grant, i, r.int(0, 300) * DAY_MIN, {
        principalId: userIds[i % userIds.length], principalType: 'user', roleId: roleIds[i % roleIds.length],
        grantedBy: r.bool(0.5) ? userIds[0] : null, expiresAt: r.bool(0.3) ? minutesBefore(now, -r.int(1, 60) * DAY_MIN) : null,
      });
    }
    for (let i = 0; i < Math.max(1, Math.ceil(count / 5)); i++) {
      yield doc(oauthClient, i, r.int(0, 300) * DAY_MIN, {
        clientId: `client-${i}`, name: `Client ${i}`, secretHash: r.bool(0.5) ? `sha256:${r.hex(64)}` : null,
        redirectUris: [`https://app${i}.example.org/callback`], grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'scan:read'], enabled: r.bool(0.9),
      });
    }
    for (let i = 0; i < 6; i++) {
      yield doc(scope, i, 600 * DAY_MIN, { name: ['openid', 'profile', 'scan:read', 'scan:write', 'policy:admin', 'vex:read'][i], description: r.bool(0.5) ? `Scope ${i}` : null, isDefault: i < 2 });
    }
    for (let i = 0; i < count; i++) {
      const issuedMin = r.int(0, 60 * DAY_MIN);
      const lifetime = r.pick([60, 24 * 60, 30 * DAY_MIN]);
      yield doc(oauthToken, i, issuedMin, {
        tokenHash: `sha256:${r.hex(64)}`, clientId: `client-${i % 3}`, subjectId: r.bool(0.8) ? userIds[i % userIds.length] : null,
        tokenType: r.pick(['access', 'refresh', 'device']), scopes: ['openid'], issuedAt: minutesBefore(now, issuedMin),
        expiresAt: minutesBefore(now, issuedMin - lifetime), revokedAt: r.bool(0.15) ? minutesBefore(now, Math.max(0, issuedMin - 5)) : null,
      });
    }
    for (let i = 0; i < Math.max(1, Math.ceil(count / 10)); i++) {
      yield doc(serviceAccount, i, r.int(0, 300) * DAY_MIN, { accountId: `svc-${i}`, displayName: `Service ${i}`, description: null, enabled: true, authorizedClients: [`client-${i % 3}`] });
    }
    for (let i = 0; i < count * 2; i++) {
      // Twice the 90-day window; one exactly on the boundary.
      const ago = i === 0 ? 90 * DAY_MIN : r.int(0, 180 * DAY_MIN);
      const ok = r.bool(0.7);
      yield doc(loginAttempt, i, ago, {
        username: `${r.pick(FIRST)}.${r.int(0, count)}`, subjectId: ok ? userIds[i % userIds.length] : null, successful: ok,
        reason: ok ? null : r.pick(['bad_password', 'locked', 'mfa_failed']), ipAddress: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
        userAgent: r.bool(0.5) ? 'Mozilla/5.0' : null, attemptedAt: minutesBefore(now, ago),
      });
    }
    for (let i = 0; i < Math.max(1, Math.ceil(count / 4)); i++) {
      yield doc(revocation, i, r.int(0, 200) * DAY_MIN, {
        category: r.pick(['token', 'subject', 'client', 'key']), revocationId: `rev-${i}`, reason: r.bool(0.5) ? 'compromised' : null,
        revokedAt: minutesBefore(now, r.int(0, 200 * DAY_MIN)), expiresAt: null,
      });
    }
    for (let i = 0; i < Math.max(1, Math.ceil(count / 2)); i++) {
      yield doc(auditLog, i, r.int(0, 100) * DAY_MIN, {
        actorId: userIds[0], action: r.pick(['insert', 'update', 'delete']), entityType: 'Authority.user', entityId: userIds[i % userIds.length],
        at: minutesBefore(now, r.int(0, 100 * DAY_MIN)), diff: { changed: { status: { from: 'active', to: 'locked' } }, note: `$demo ${i}`, 'dotted.key': [1, 2.5, '𝄞'] },
      });
    }
  }
}
