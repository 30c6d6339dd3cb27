import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { Page } from '../../../interfaces/repository.js';
import type { TriageQueueItem, TriageQueueQuery, TriageQueueRepository } from '../../../interfaces/excititor.js';

/** DualWrite: reads from the primary store; a refresh always refreshes the PostgreSQL view. */
export class DualWriteTriageQueue implements TriageQueueRepository {
  constructor(
    private readonly primary: TriageQueueRepository,
    private readonly postgres: TriageQueueRepository,
  ) {}

  list(ctx: TenantContext, query?: TriageQueueQuery): Promise<Page<TriageQueueItem>> {
    return this.primary.list(ctx, query);
  }

  get(ctx: TenantContext, packageId: string, vulnId: string, options?: Pick<TriageQueueQuery, 'live' | 'eventsSince'>): Promise<TriageQueueItem | null> {
    return this.primary.get(ctx, packageId, vulnId, options);
  }

  refresh(): Promise<void> {
    return this.postgres.refresh();
  }
}
