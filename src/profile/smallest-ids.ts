/**
 * The `limit` smallest strings offered, sorted (code-unit order): the "few legacy ids" a report shows,
 * the same whatever order the ids arrive in. Memory: `limit` strings.
 *
 * @example
 * const ids = new SmallestIds(3);
 * ['c', 'a', 'd', 'b'].forEach((id) => ids.offer(id));
 * ids.values(); // ['a', 'b', 'c']
 */
export class SmallestIds {
  private readonly kept: string[] = [];

  constructor(readonly limit: number) {}

  offer(id: string): void {
    if (this.limit <= 0) return;
    if (this.kept.length === this.limit && !(id < this.kept[this.kept.length - 1]!)) return;
    if (this.kept.includes(id)) return;
    let i = this.kept.length;
    while (i > 0 && id < this.kept[i - 1]!) i--;
    this.kept.splice(i, 0, id);
    if (this.kept.length > this.limit) this.kept.pop();
  }

  values(): string[] {
    return [...this.kept];
  }
}
