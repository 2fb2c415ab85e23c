// Which MySQL thread ids belong to which user's sessions on this engine, so KILL and
// COM_PROCESS_KILL can be limited to the caller's own sessions.
export class ThreadRegistry {
  readonly #byUser = new Map<string, Set<number>>();

  add(user: string, threadId: number): void {
    let set = this.#byUser.get(user);
    if (set === undefined) {
      set = new Set();
      this.#byUser.set(user, set);
    }
    set.add(threadId);
  }

  remove(user: string, threadId: number): void {
    const set = this.#byUser.get(user);
    if (set === undefined) return;
    set.delete(threadId);
    if (set.size === 0) this.#byUser.delete(user);
  }

  owns(user: string, threadId: number): boolean {
    return this.#byUser.get(user)?.has(threadId) ?? false;
  }
}
