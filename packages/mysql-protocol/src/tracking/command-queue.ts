// The FIFO of commands whose replies have not ended yet. Clients may pipeline: a command can
// arrive before the previous reply ended, and replies come back in order.
import type { TrackedCommand } from './tracked-command.js';

export class CommandQueue {
  private items: (TrackedCommand | undefined)[] = new Array(8);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(command: TrackedCommand): void {
    if (this.count === this.items.length) {
      const grown: (TrackedCommand | undefined)[] = new Array(this.items.length * 2);
      for (let i = 0; i < this.count; i++) grown[i] = this.items[(this.head + i) % this.items.length];
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.count) % this.items.length] = command;
    this.count++;
  }

  shift(): TrackedCommand | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }
}
