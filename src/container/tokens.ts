/** Container tokens of the infrastructure (repository tokens live with each module's interfaces). */
export const CoreTokens = Object.freeze({
  Config: Symbol.for('core.Config'),
  Clock: Symbol.for('core.Clock'),
  Postgres: Symbol.for('core.PostgresDataSource'),
  Mongo: Symbol.for('core.MongoDataSource'),
  PostgresPendingLog: Symbol.for('core.PostgresPendingLog'),
  MongoPendingLog: Symbol.for('core.MongoPendingLog'),
  Publisher: Symbol.for('core.Publisher'),
  DualWriteApplier: Symbol.for('core.DualWriteApplier'),
  RepositoryFactory: Symbol.for('core.RepositoryFactory'),
});
