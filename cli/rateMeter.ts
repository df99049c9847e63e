// The rate of a growing count (bytes restored, packs verified) for the progress line. The count
// arrives with the activity's heartbeats, which the SDK sends some seconds apart, while the line
// polls twice a second: so the rate is taken between the moments the count changed, over the
// last half minute, and none is given when no change came for that long (a stall shows no stale
// rate). It starts over when the count changes its kind (a verify moving from trees to packs) or
// goes back (a retried activity starting again).

const WINDOW_MS = 30_000;

export class RateMeter {
  /** When the count changed, and to what (the first sample too). */
  private changes: { at: number; amount: number }[] = [];
  private kind: string | undefined;

  /** Records `amount` of `kind` at time `at` (ms); returns units per second, once measurable. */
  sample(kind: string, amount: number, at: number): number | undefined {
    const last = this.changes.at(-1);
    if (kind !== this.kind || (last !== undefined && amount < last.amount)) {
      this.changes = [];
      this.kind = kind;
    }
    if (this.changes.length === 0 || amount > this.changes.at(-1)!.amount) this.changes.push({ at, amount });
    // Keep the newest change that is at least the window old as the first one.
    while (this.changes.length > 2 && at - this.changes[1]!.at >= WINDOW_MS) this.changes.shift();
    const first = this.changes[0]!;
    const latest = this.changes.at(-1)!;
    if (latest === first || at - latest.at > WINDOW_MS) return undefined;
    return ((latest.amount - first.amount) * 1000) / (latest.at - first.at);
  }
}
