// The retry wrapper: transient failures are retried with capped, jittered exponential backoff
// until success or the last attempt; not-found, permanent and foreign errors are not retried;
// listings are retried only before their first entry.

import { FaultyStorage } from '../../storage/faulty';
import { MemoryStorage } from '../../storage/memory';
import { RetryOptions, withRetry } from '../../storage/retry';
import { Storage, StorageError } from '../../storage/storage';

const DATA = { type: 'data', name: 'aa11' } as const;

/** Returns the given values in turn, then the last one forever. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

/** A fake sleep that records the delays and returns at once. */
function fakeSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

async function faulty(faultRandom: () => number, options: RetryOptions = {}) {
  const memory = new MemoryStorage();
  await memory.put(DATA, Buffer.from('pack bytes'));
  const faults = new FaultyStorage(memory, { failureRate: 0.5, random: faultRandom });
  const clock = fakeSleep();
  return { memory, faults, delays: clock.delays, storage: withRetry(faults, { sleep: clock.sleep, ...options }) };
}

test('transient failures are retried until the call succeeds', async () => {
  const { faults, delays, storage } = await faulty(sequence(0.1, 0.2, 0.3, 0.9));
  expect(Buffer.from(await storage.get(DATA)).toString()).toBe('pack bytes');
  expect(faults.counts).toMatchObject({ calls: 4, injectedFailures: 3 });
  expect(delays).toHaveLength(3);

  const more = await faulty(sequence(0.1, 0.9));
  await more.storage.put({ type: 'index', name: 'bb22' }, Buffer.from('index'));
  expect(await more.memory.stat({ type: 'index', name: 'bb22' })).toMatchObject({ size: 5 });
  expect(more.faults.counts).toMatchObject({ calls: 2, puts: 1 });
});

test('not-found, permanent and non-storage errors are not retried', async () => {
  const { faults, delays, storage } = await faulty(() => 0.9);
  await expect(storage.get({ type: 'data', name: 'missing' })).rejects.toMatchObject({ kind: 'not-found' });
  expect(faults.counts.calls).toBe(1);
  await expect(storage.get(DATA, { offset: 5, length: 100 })).rejects.toMatchObject({ kind: 'permanent' });
  expect(faults.counts.calls).toBe(2);

  const memory = new MemoryStorage();
  const stat = jest.spyOn(memory, 'stat').mockRejectedValue(new TypeError('a bug, not an outage'));
  await expect(withRetry(memory).stat(DATA)).rejects.toThrow(TypeError);
  expect(stat).toHaveBeenCalledTimes(1);
  expect(delays).toEqual([]);
});

test('gives up after the configured attempts, rethrowing the last (still transient) error', async () => {
  const memory = new MemoryStorage();
  let n = 0;
  const put = jest.spyOn(memory, 'put').mockImplementation(async () => {
    throw new StorageError('transient', `[storage:test] connection reset (${++n})`);
  });
  const retries: number[] = [];
  const storage = withRetry(memory, { attempts: 5, sleep: fakeSleep().sleep, onRetry: (info) => retries.push(info.attempt) });
  const err = await storage.put(DATA, Buffer.from('x')).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  expect(err).toMatchObject({ kind: 'transient', message: '[storage:test] connection reset (5)' });
  expect(put).toHaveBeenCalledTimes(5);
  expect(retries).toEqual([1, 2, 3, 4]);
});

test('defaults: 8 attempts, full-jitter backoff doubling from 100 ms', async () => {
  const { faults, delays, storage } = await faulty(() => 0, { random: () => 0.999 });
  await expect(storage.stat(DATA)).rejects.toMatchObject({ kind: 'transient' });
  expect(faults.counts.calls).toBe(8);
  expect(delays).toEqual([99, 199, 399, 799, 1598, 3196, 6393]);
});

test('backoff delays grow and never exceed the cap; jitter draws below the exponential bound', async () => {
  const high = await faulty(() => 0, { attempts: 10, baseMs: 50, maxMs: 1000, random: () => 0.999 });
  await expect(high.storage.delete(DATA)).rejects.toMatchObject({ kind: 'transient' });
  expect(high.delays).toEqual([49, 99, 199, 399, 799, 999, 999, 999, 999]);

  const jittered = await faulty(() => 0, { attempts: 12, baseMs: 50, maxMs: 1000, random: Math.random });
  await expect(jittered.storage.delete(DATA)).rejects.toMatchObject({ kind: 'transient' });
  jittered.delays.forEach((ms, i) => {
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(Math.min(1000, 50 * 2 ** i));
  });
});

test('a listing is retried while it has yielded nothing', async () => {
  const { faults, storage } = await faulty(sequence(0.1, 0.1, 0.9));
  const names: string[] = [];
  for await (const entry of storage.list('data')) names.push(entry.name);
  expect(names).toEqual(['aa11']);
  expect(faults.counts).toMatchObject({ calls: 3, injectedFailures: 2 });
});

test('a listing that fails after yielding entries is not restarted: the error is rethrown', async () => {
  const inner: Storage = new MemoryStorage();
  const list = jest.spyOn(inner, 'list').mockImplementation(async function* () {
    yield { name: 'aa11', size: 1, mtime: new Date() };
    throw new StorageError('transient', '[storage:test] connection reset while listing');
  });
  const names: string[] = [];
  const consume = async () => {
    for await (const entry of withRetry(inner, { sleep: fakeSleep().sleep }).list('data')) names.push(entry.name);
  };
  await expect(consume()).rejects.toMatchObject({ kind: 'transient', message: '[storage:test] connection reset while listing' });
  expect(names).toEqual(['aa11']);
  expect(list).toHaveBeenCalledTimes(1);
});

test('location passes through; createLocation is retried', async () => {
  const memory = new MemoryStorage();
  const createLocation = jest.fn<Promise<void>, []>().mockRejectedValueOnce(new StorageError('transient', 'throttled')).mockResolvedValue(undefined);
  const storage = withRetry(Object.assign(memory, { createLocation }), { sleep: fakeSleep().sleep });
  expect(storage.location).toBe('memory');
  await storage.createLocation!();
  expect(createLocation).toHaveBeenCalledTimes(2);
  await expect(withRetry(new MemoryStorage()).createLocation!()).resolves.toBeUndefined();
});
