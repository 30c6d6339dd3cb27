/**
 * One collection's in-memory data plus, for `memory:/folder` stores, its files: `sync()` before an
 * operation (pick up other processes' writes), `commit()` after a write (persist this one's and add it
 * to the change history that change streams read).
 */
import { serialize } from 'bson';
import { CollectionData } from './collection-data.js';
import type { CollectionFiles, JournalRecord } from './folder-persistence.js';
import { Oplog, type OplogOp } from './oplog.js';

export class CollectionBacking {
  readonly data: CollectionData;
  readonly oplog: Oplog;

  constructor(namespace: string, private readonly files?: CollectionFiles) {
    this.data = new CollectionData(namespace);
    this.oplog = new Oplog(namespace, files?.oplogPath);
  }

  /** Reloads from disk what changed since this process last looked. */
  sync(): void {
    this.files?.refresh(this.data);
  }

  /** Persists the records of a write operation (no-op for an ephemeral store), then records the changes. */
  commit(records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    this.files?.append(this.data, records);
    this.oplog.append(
      records.map((r) =>
        'put' in r
          ? { op: (r.event ?? 'replace') as OplogOp, document: r.put }
          : { op: 'delete' as const, document: serialize({ _id: r.delete }) },
      ),
    );
  }

  /** Persists index specs (and creates the collection on disk if needed). */
  saveIndexes(): void {
    this.files?.writeIndexes(this.data);
  }

  /** Forgets everything and deletes the files; the change history goes too (older resume tokens are gone). */
  drop(): void {
    this.data.clear();
    this.files?.remove();
    this.oplog.reset();
  }
}
