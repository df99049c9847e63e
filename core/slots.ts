// A counting semaphore: at most `limit` holders at once, the others wait in arrival order.
// The archiver holds one slot per batch handed to the encoder pool, so that the walk cannot run
// far ahead of the encoders.

export class Slots {
  private held = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`[slots] the limit must be a positive integer, not ${limit}`);
  }

  /** Resolves once a slot is this caller's; give it back with release(). */
  async acquire(): Promise<void> {
    if (this.held < this.limit) {
      this.held += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Gives a slot back: to the first waiter if there is one (the count held stays), else to the pool. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held -= 1;
  }
}
