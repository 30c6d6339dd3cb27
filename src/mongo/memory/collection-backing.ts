/**
 * One collection's in-memory data plus, for `memory:/folder` stores, its files: `sync()` before an
 * operation (pick up other processes' writes), `commit()` after a write (persist this one's).
 */
import { CollectionData } from './collection-data.js';
import type { CollectionFiles, JournalRecord } from './folder-persistence.js';

export class CollectionBacking {
  readonly data: CollectionData;

  constructor(namespace: string, private readonly files?: CollectionFiles) {
    this.data = new CollectionData(namespace);
  }

  /** Reloads from disk what changed since this process last looked. */
  sync(): void {
    this.files?.refresh(this.data);
  }

  /** Persists the records of a write operation (no-op for an ephemeral store). */
  commit(records: readonly JournalRecord[]): void {
    if (records.length > 0) this.files?.append(this.data, records);
  }

  /** Persists index specs (and creates the collection on disk if needed). */
  saveIndexes(): void {
    this.files?.writeIndexes(this.data);
  }

  /** Forgets everything and deletes the files. */
  drop(): void {
    this.data.clear();
    this.files?.remove();
  }
}
