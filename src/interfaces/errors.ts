/**
 * Errors every backend raises the same way, so callers and the contract suite can tell them apart
 * without knowing which database answered.
 */
export class PersistenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A unique key (id or a declared natural key) already holds another entity. */
export class DuplicateKeyError extends PersistenceError {
  constructor(readonly entity: string, readonly key: string, options?: { cause?: unknown }) {
    super(`${entity}: an entity with the same ${key} already exists`, options);
  }
}

/** The entity to update does not exist for this tenant. */
export class NotFoundError extends PersistenceError {
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} ${id} not found`);
  }
}

/** A value a caller passed cannot be stored exactly (wrong type, U+0000, NaN in JSON, ...). */
export class ValidationError extends PersistenceError {
  constructor(readonly entity: string, readonly path: string, reason: string) {
    super(`${entity}.${path}: ${reason}`);
  }
}

/** A legacy document cannot be converted exactly; it goes to quarantine with this reason. */
export class ConversionError extends PersistenceError {
  constructor(readonly path: string, readonly reason: string) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

/** A configuration value is wrong; start-up stops with this message (exit code 2). */
export class ConfigError extends PersistenceError {}

/**
 * A state change the entity's transition table does not allow (Notify deliveries, PacksRegistry
 * versions): names the entity, the row, both states and what is allowed from `from`.
 *
 * @example
 * throw new IllegalTransitionError('PacksRegistry.registry_version', id, 'draft', 'deprecated', ['published']);
 * // PacksRegistry.registry_version <id>: cannot go from draft to deprecated (allowed from draft: published)
 */
export class IllegalTransitionError extends PersistenceError {
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    super(`${entity} ${id}: cannot go from ${from} to ${to} (allowed from ${from}: ${allowed.length ? allowed.join(', ') : 'none, it is final'})`);
  }
}
