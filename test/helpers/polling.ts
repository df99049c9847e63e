// Polling until a test sees what it waits for (a Schedule's run, a workflow's status, a waiting
// reason), with a deadline and an error that says what never came and what was last seen.

/** Polls `probe` every `intervalMs` until it returns a value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 40_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads until `done` holds for the value read (a failed read counts as not yet); the error shows the last value. */
export async function readUntil<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(what, async () => {
      last = await read().catch(() => last);
      return last !== undefined && done(last) ? last : undefined;
    }, timeoutMs, intervalMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last)}`);
  }
}
