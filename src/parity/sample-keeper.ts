/**
 * Keeps the `limit` smallest items by a string key while everything streams past, in O(limit)
 * memory: report samples are "the first N by id" whatever order the source streamed in.
 *
 * @example
 * const keep = new SampleKeeper<Doc>(20);
 * for await (const d of docs) keep.offer(d.id, d);
 * keep.items(); // the 20 smallest ids, ascending
 */
export class SampleKeeper<T> {
  private readonly entries: { key: string; item: T }[] = [];

  constructor(readonly limit: number) {}

  /** True when an item with this key would be kept now (lets callers skip building costly samples). */
  wants(key: string): boolean {
    if (this.limit <= 0) return false;
    return this.entries.length < this.limit || key < this.entries[this.entries.length - 1]!.key;
  }

  offer(key: string, item: T | (() => T)): void {
    if (!this.wants(key)) return;
    const value = typeof item === 'function' ? (item as () => T)() : item;
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // Equal keys keep arrival order (stable): a later equal key goes after.
      if (this.entries[mid]!.key <= key) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, { key, item: value });
    if (this.entries.length > this.limit) this.entries.pop();
  }

  items(): T[] {
    return this.entries.map((e) => e.item);
  }

  keys(): string[] {
    return this.entries.map((e) => e.key);
  }
}
