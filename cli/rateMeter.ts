// The rate of a growing count (bytes restored, packs verified) over the last seconds, from
// samples taken as the progress line polls; it starts over when the count changes its kind (a
// verify moving from trees to packs) or goes back (a retried activity starting again).

const WINDOW_MS = 20_000;
/** Less than this between the oldest and newest sample gives no rate yet. */
const MIN_SPAN_MS = 2_000;

export class RateMeter {
  private samples: { at: number; amount: number }[] = [];
  private kind: string | undefined;

  /** Records `amount` of `kind` at time `at` (ms); returns units per second, once measurable. */
  sample(kind: string, amount: number, at: number): number | undefined {
    const last = this.samples.at(-1);
    if (kind !== this.kind || (last !== undefined && amount < last.amount)) {
      this.samples = [];
      this.kind = kind;
    }
    this.samples.push({ at, amount });
    // Keep the newest sample that is at least the window old as the first one.
    while (this.samples.length > 2 && at - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const span = at - first.at;
    return span >= MIN_SPAN_MS ? ((amount - first.amount) * 1000) / span : undefined;
  }
}
