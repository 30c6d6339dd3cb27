import {
  type Delivery,
  type DeliveryService,
  type DeliveryState,
  type NewDelivery,
  type OutboxEvent,
  type TransitionDetails,
} from '../../../interfaces/notify.js';
import type { Page } from '../../../interfaces/repository.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import type { ChangeReplicator } from '../../../dualwrite/change-replicator.js';

/**
 * Deliveries under DualWrite: every change (the delivery and its outbox event, and a sender's
 * dispatch marks) is made on the primary, recorded in the primary's pending log in the same
 * transaction, and applied to the secondary after commit, exactly like DualWriteRepository. The state
 * machine is decided once, on the primary; the secondary receives its results.
 */
export class DualWriteDeliveryService implements DeliveryService {
  constructor(
    private readonly primary: DeliveryService,
    private readonly replicator: ChangeReplicator,
  ) {}

  create(ctx: TenantContext, delivery: NewDelivery): Promise<Delivery> {
    return this.replicator.write(ctx, () => this.primary.create(ctx, delivery));
  }

  transition(ctx: TenantContext, id: string, to: DeliveryState, details?: TransitionDetails): Promise<Delivery> {
    return this.replicator.write(ctx, () => this.primary.transition(ctx, id, to, details));
  }

  get(ctx: TenantContext, id: string): Promise<Delivery | null> {
    return this.primary.get(ctx, id);
  }

  undispatched(ctx: TenantContext, options?: { after?: string | null; limit?: number }): Promise<Page<OutboxEvent>> {
    return this.primary.undispatched(ctx, options);
  }

  markDispatched(ctx: TenantContext, eventId: string): Promise<boolean> {
    return this.replicator.write(ctx, () => this.primary.markDispatched(ctx, eventId));
  }

  markDispatchFailed(ctx: TenantContext, eventId: string, error: string): Promise<OutboxEvent> {
    return this.replicator.write(ctx, () => this.primary.markDispatchFailed(ctx, eventId, error));
  }
}
