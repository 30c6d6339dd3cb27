import { PersistenceError } from '../interfaces/errors.js';

/** A conversion request that cannot run as asked (unknown module or collection, bad tier...): exit 2. */
export class ConversionOptionsError extends PersistenceError {}

/** This worker's claim on a range was taken over (its lease expired); another worker continues it. */
export class LostClaimError extends PersistenceError {
  constructor(readonly jobId: string, readonly seq: number) {
    super(`${jobId}: range ${seq} is no longer claimed by this worker (lease expired and taken over)`);
  }
}

/** The job stopped on a permanent error; its state stays resumable. */
export class ConversionFailedError extends PersistenceError {}
