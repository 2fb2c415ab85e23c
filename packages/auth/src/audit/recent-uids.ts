/**
 * Recent uids stored, for idempotent redelivery: at least the last `capacity`, at most twice
 * that. Two generations of sets instead of one set and a ring: once the young set is full it
 * becomes the old one and the previous old one is dropped whole, so adding never deletes
 * entries one by one (a large Set with steady deletes is what made the ring slow per event).
 */
export class RecentUids {
  readonly #capacity: number;
  #young = new Set<string>();
  #old = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  has(uid: string): boolean {
    return this.#young.has(uid) || this.#old.has(uid);
  }

  /** Remembers a uid; callers add only uids they did not find with has(). */
  add(uid: string): void {
    if (this.#young.size >= this.#capacity) {
      this.#old = this.#young;
      this.#young = new Set();
    }
    this.#young.add(uid);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
