/**
 * A compact, id-sorted index of (id, digest) pairs: 32 bytes per row plus one byte of "seen" flags
 * and four of search prefix, so a million PostgreSQL rows take about 40 MB, never whole rows.
 * Rows are appended in ascending id order (PostgreSQL `order by id`: uuid compares as bytes), then
 * looked up by binary search as the legacy documents stream past in their own `_id` order.
 *
 * @example
 * const index = new DigestIndex();
 * index.append(uuidBytes(row.id), digest16);
 * const at = index.find(uuidBytes(doc.id)); // -1 when absent
 */
export class DigestIndex {
  private ids = Buffer.alloc(0);
  private digests = Buffer.alloc(0);
  private prefixes = new Uint32Array(0);
  private seenFlags = new Uint8Array(0);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.count * 2);
    const ids = Buffer.alloc(capacity * 16);
    this.ids.copy(ids, 0, 0, this.count * 16);
    const digests = Buffer.alloc(capacity * 16);
    this.digests.copy(digests, 0, 0, this.count * 16);
    const prefixes = new Uint32Array(capacity);
    prefixes.set(this.prefixes.subarray(0, this.count));
    this.ids = ids;
    this.digests = digests;
    this.prefixes = prefixes;
  }

  /**
   * Appends a row; ids must arrive in ascending byte order (equal ids allowed: duplicates). The digest
   * is 16 bytes, or a string of 16 latin1 characters (canonical-row.ts `rowDigest`).
   */
  append(id: Buffer, digest: Buffer | string): void {
    if (id.length !== 16 || digest.length < 16) throw new Error('DigestIndex: id must be 16 bytes and digest at least 16');
    if (this.count > 0 && Buffer.compare(id, this.idAt(this.count - 1)) < 0) {
      throw new Error(`DigestIndex: ids must be appended in ascending order (${formatUuid(id)} after ${formatUuid(this.idAt(this.count - 1))})`);
    }
    if ((this.count + 1) * 16 > this.ids.length) this.grow();
    id.copy(this.ids, this.count * 16);
    if (typeof digest === 'string') this.digests.write(digest, this.count * 16, 16, 'latin1');
    else digest.copy(this.digests, this.count * 16, 0, 16);
    this.prefixes[this.count] = id.readUInt32BE(0);
    this.count++;
  }

  /** Call once appending is done: allocates the seen flags. */
  seal(): void {
    this.seenFlags = new Uint8Array(this.count);
  }

  idAt(i: number): Buffer {
    return this.ids.subarray(i * 16, i * 16 + 16);
  }

  digestAt(i: number): Buffer {
    return this.digests.subarray(i * 16, i * 16 + 16);
  }

  /** Whether row `i` has this digest (16 latin1 characters, as appended). */
  digestIs(i: number, digest: string): boolean {
    const at = i * 16;
    for (let k = 0; k < 16; k++) if (this.digests[at + k] !== digest.charCodeAt(k)) return false;
    return true;
  }

  digestHexAt(i: number): string {
    return this.digestAt(i).toString('hex');
  }

  /**
   * Position of the first unseen row with this id (the first row when all are seen), or -1.
   * Searches the 4-byte prefixes first (plain numbers), then compares whole ids among equal prefixes.
   */
  find(id: Buffer): number {
    const prefix = id.readUInt32BE(0);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.prefixes[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    let first = -1;
    for (let i = lo; i < this.count && this.prefixes[i] === prefix; i++) {
      const c = this.ids.compare(id, 0, 16, i * 16, i * 16 + 16);
      if (c === 0) {
        if (first === -1) first = i;
        if (!this.seenFlags[i]) return i;
      } else if (c > 0) break;
    }
    return first;
  }

  seen(i: number): boolean {
    return this.seenFlags[i] === 1;
  }

  markSeen(i: number): void {
    this.seenFlags[i] = 1;
  }

  /** Positions never marked seen, in id order. */
  *unseen(): Generator<number> {
    for (let i = 0; i < this.count; i++) if (!this.seenFlags[i]) yield i;
  }
}

/** The 16 bytes of a UUID in text form. */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function formatUuid(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
