/** The last `capacity` uids stored, for idempotent redelivery; the oldest falls out first. */
export class RecentUids {
  readonly #capacity: number;
  readonly #set = new Set<string>();
  readonly #ring: string[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  has(uid: string): boolean {
    return this.#set.has(uid);
  }

  add(uid: string): void {
    if (this.#set.has(uid)) return;
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(uid);
    } else {
      this.#set.delete(this.#ring[this.#next]!);
      this.#ring[this.#next] = uid;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    this.#set.add(uid);
  }

  get size(): number {
    return this.#set.size;
  }
}
