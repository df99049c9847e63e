// Bounded concurrency for storage round trips (many small reads or deletes, a few at a time), and
// promises left to run while other work goes on.

/** Runs `run` on every item, at most `limit` at a time; the first failure is thrown once all have stopped. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await run(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

/** A promise marked handled now (its rejection is still seen by whoever awaits it later), so that a failure that arrives while other work goes on is not an unhandled rejection. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
