import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../../interfaces/clock.js';
import { IllegalTransitionError, ValidationError } from '../../../interfaces/errors.js';
import {
  DELIVERY_STATES,
  DELIVERY_TRANSITIONS,
  type Delivery,
  type DeliveryState,
  type NewDelivery,
  type OutboxEvent,
  type TransitionDetails,
} from '../../../interfaces/notify.js';
import type { TenantContext } from '../../../interfaces/tenant-context.js';
import { prepareInsert } from '../../../codec/entity-lifecycle.js';
import { validateEntity } from '../../../codec/validate.js';
import { delivery as deliverySpec, outboxEvent as outboxSpec } from '../entities.js';

/**
 * The delivery state machine as pure functions shared by every backend: what a transition may do,
 * what it changes, and the outbox event it emits. Backends only load, lock and store.
 */

export const DELIVERY_AGGREGATE = 'notify.delivery';

/** The outbox topic of a delivery entering `state`: a sender subscribes to `notify.delivery.pending` and `.retrying`. */
export function deliveryTopic(state: DeliveryState): string {
  return `${DELIVERY_AGGREGATE}.${state}`;
}

function nextUpdatedAt(now: Date, previous: Date): Date {
  return new Date(Math.max(now.getTime(), previous.getTime() + 1));
}

export function newDelivery(ctx: TenantContext, input: NewDelivery, clock: Clock): Delivery {
  return prepareInsert<Delivery>(
    deliverySpec,
    ctx,
    {
      ruleId: input.ruleId ?? null,
      channelId: input.channelId,
      eventId: input.eventId,
      eventKind: input.eventKind,
      recipient: input.recipient ?? null,
      templateKey: input.templateKey ?? null,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: null,
      sentAt: null,
      lastError: null,
      correlationId: input.correlationId ?? null,
      metadata: input.metadata ?? {},
    },
    clock,
  );
}

/** The delivery after moving to `to`, or IllegalTransitionError / ValidationError. */
export function applyTransition(current: Delivery, to: DeliveryState, details: TransitionDetails, now: Date): Delivery {
  if (!(DELIVERY_STATES as readonly string[]).includes(to)) {
    throw new ValidationError('Notify.delivery', 'state', `must be one of ${DELIVERY_STATES.join(', ')}, got ${JSON.stringify(to)}`);
  }
  if (!DELIVERY_TRANSITIONS[current.state].includes(to)) throw new IllegalTransitionError('Notify.delivery', current.id, current.state, to, DELIVERY_TRANSITIONS[current.state]);
  const next: Delivery = { ...current, state: to, updatedAt: nextUpdatedAt(now, current.updatedAt) };
  switch (to) {
    case 'sending':
      next.attempts = current.attempts + 1;
      next.nextAttemptAt = null;
      break;
    case 'sent':
      next.sentAt = now;
      break;
    case 'failed':
      if (!details.error) throw new ValidationError('Notify.delivery', 'lastError', 'entering failed needs the error (details.error)');
      next.lastError = details.error;
      break;
    case 'retrying':
      if (!(details.nextAttemptAt instanceof Date) || Number.isNaN(details.nextAttemptAt.getTime())) {
        throw new ValidationError('Notify.delivery', 'nextAttemptAt', 'entering retrying needs when to try again (details.nextAttemptAt)');
      }
      next.nextAttemptAt = details.nextAttemptAt;
      break;
    default:
      next.nextAttemptAt = null;
  }
  if (details.metadata) next.metadata = { ...current.metadata, ...details.metadata };
  return validateEntity<Delivery & Record<string, unknown>>(deliverySpec, next as Delivery & Record<string, unknown>);
}

/** The outbox event of a delivery that just entered its state (from `previous`, null on creation). */
export function deliveryEvent(d: Delivery, previous: DeliveryState | null, clock: Clock): OutboxEvent {
  const at = d.updatedAt;
  return prepareInsert<OutboxEvent>(
    outboxSpec,
    { tenantId: d.tenantId },
    {
      id: uuidv7({ msecs: at.getTime() }),
      aggregateType: DELIVERY_AGGREGATE,
      aggregateId: d.id,
      topic: deliveryTopic(d.state),
      payload: {
        deliveryId: d.id,
        channelId: d.channelId,
        ruleId: d.ruleId,
        eventId: d.eventId,
        eventKind: d.eventKind,
        recipient: d.recipient,
        templateKey: d.templateKey,
        state: d.state,
        previousState: previous,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
        at: at.toISOString(),
      },
      dispatchedAt: null,
      dispatchAttempts: 0,
      error: null,
      createdAt: at,
      updatedAt: at,
    },
    clock,
  );
}

export function dispatched(event: OutboxEvent, now: Date): OutboxEvent {
  return { ...event, dispatchedAt: now, error: null, updatedAt: nextUpdatedAt(now, event.updatedAt) };
}

export function dispatchFailed(event: OutboxEvent, error: string, now: Date): OutboxEvent {
  return validateEntity<OutboxEvent & Record<string, unknown>>(outboxSpec, {
    ...event,
    dispatchAttempts: event.dispatchAttempts + 1,
    error: String(error).replace(/\u0000/g, '\\u0000'),
    updatedAt: nextUpdatedAt(now, event.updatedAt),
  } as OutboxEvent & Record<string, unknown>);
}
