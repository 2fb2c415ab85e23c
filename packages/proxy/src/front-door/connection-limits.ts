// proxy.limits.max_connections and max_connections_per_ip. Counts every client connection from
// accept to close, handshaking or relaying.

export type LimitVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly which: 'max_connections' | 'max_connections_per_ip'; readonly limit: number };

const OK: LimitVerdict = { ok: true };

export class ConnectionLimits {
  readonly #perIp = new Map<string, number>();
  #total = 0;
  maxConnections: number;
  maxPerIp: number;

  constructor(maxConnections: number, maxPerIp: number) {
    this.maxConnections = maxConnections;
    this.maxPerIp = maxPerIp;
  }

  get total(): number {
    return this.#total;
  }

  countFor(address: string): number {
    return this.#perIp.get(address) ?? 0;
  }

  /** Whether one more connection fits; `address` is checked only when given. */
  check(address?: string): LimitVerdict {
    if (this.#total >= this.maxConnections) return { ok: false, which: 'max_connections', limit: this.maxConnections };
    if (address !== undefined && this.countFor(address) >= this.maxPerIp) {
      return { ok: false, which: 'max_connections_per_ip', limit: this.maxPerIp };
    }
    return OK;
  }

  /** Whether `address` already holds its share, not counting the connection asking. */
  checkPerIp(address: string, alreadyCounted: boolean): LimitVerdict {
    const held = this.countFor(address) - (alreadyCounted ? 1 : 0);
    return held >= this.maxPerIp ? { ok: false, which: 'max_connections_per_ip', limit: this.maxPerIp } : OK;
  }

  acquireTotal(): void {
    this.#total++;
  }

  releaseTotal(): void {
    this.#total--;
  }

  acquireIp(address: string): void {
    this.#perIp.set(address, this.countFor(address) + 1);
  }

  releaseIp(address: string): void {
    const n = this.countFor(address) - 1;
    if (n <= 0) this.#perIp.delete(address);
    else this.#perIp.set(address, n);
  }
}
