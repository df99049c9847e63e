// The storage conformance suite: every backend must pass it. Call it from a test file with a
// factory that returns a fresh, empty Storage (and optionally a cleanup).

import { createHash } from 'node:crypto';
import { FileType, Handle, isNotFound, ObjectInfo, Storage, StorageError } from '../../storage/storage';

export interface ConformanceTarget {
  name: string;
  create(): Promise<Storage>;
}

async function listNames(storage: Storage, type: FileType): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const e of storage.list(type)) out.set(e.name, e.size);
  return out;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const id = (c: string) => c.repeat(64);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Checks that a modification time is a Date between two moments of this machine's clock, with a
 * second of slack each way: S3 reports whole seconds, and servers round their own clock.
 */
function expectWrittenBetween(info: ObjectInfo, before: number, after: number): void {
  // (toBeInstanceOf would fail for a Date made by Node outside the test's realm, as fs.stat's are.)
  expect(Object.prototype.toString.call(info.mtime)).toBe('[object Date]');
  expect(info.mtime.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(info.mtime.getTime()).toBeLessThanOrEqual(after + 1000);
}

export function describeStorageConformance(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await target.create();
    });
    afterEach(async () => {
      await storage.close();
    });

    test('put then get returns the same bytes, for every file type', async () => {
      const handles: Handle[] = [
        { type: 'config', name: 'config' },
        { type: 'keys', name: id('a') },
        { type: 'data', name: id('b') },
        { type: 'index', name: id('c') },
        { type: 'snapshots', name: id('d') },
        { type: 'locks', name: id('e') },
        { type: 'journal', name: id('f') },
        { type: 'health', name: id('9') },
      ];
      for (const [i, h] of handles.entries()) await storage.put(h, bytes(1000 + i, i));
      for (const [i, h] of handles.entries()) expect(Buffer.from(await storage.get(h))).toEqual(Buffer.from(bytes(1000 + i, i)));
    });

    test('an empty object round-trips', async () => {
      await storage.put({ type: 'locks', name: id('0') }, new Uint8Array(0));
      expect((await storage.get({ type: 'locks', name: id('0') })).length).toBe(0);
      expect(await storage.stat({ type: 'locks', name: id('0') })).toMatchObject({ size: 0 });
    });

    test('ranged get returns exactly the range, and a range past the end fails', async () => {
      const h: Handle = { type: 'data', name: id('1') };
      const data = bytes(100_000);
      await storage.put(h, data);
      expect(Buffer.from(await storage.get(h, { offset: 0, length: 10 }))).toEqual(Buffer.from(data.subarray(0, 10)));
      expect(Buffer.from(await storage.get(h, { offset: 54_321, length: 4_000 }))).toEqual(Buffer.from(data.subarray(54_321, 58_321)));
      expect(Buffer.from(await storage.get(h, { offset: 99_990, length: 10 }))).toEqual(Buffer.from(data.subarray(99_990)));
      await expect(storage.get(h, { offset: 99_995, length: 10 })).rejects.toBeInstanceOf(StorageError);
    });

    test('stat gives the size and modification time; missing objects are not-found for get, stat and delete', async () => {
      const h: Handle = { type: 'index', name: id('2') };
      const before = Date.now();
      await storage.put(h, bytes(777));
      const after = Date.now();
      const info = await storage.stat(h);
      expect(info.size).toBe(777);
      expectWrittenBetween(info, before, after);
      const missing: Handle = { type: 'index', name: id('3') };
      for (const op of [() => storage.get(missing), () => storage.stat(missing), () => storage.delete(missing)]) {
        const err = await op().then(() => undefined, (e: unknown) => e);
        expect(isNotFound(err)).toBe(true);
      }
    });

    test('list yields every object of one type with its size and modification time, and only that type', async () => {
      const before = Date.now();
      await storage.put({ type: 'data', name: id('4') }, bytes(10));
      await storage.put({ type: 'data', name: id('5') }, bytes(20));
      await storage.put({ type: 'data', name: `ab${'0'.repeat(62)}` }, bytes(30));
      await storage.put({ type: 'index', name: id('6') }, bytes(40));
      await storage.put({ type: 'config', name: 'config' }, bytes(50));
      const after = Date.now();
      expect(await listNames(storage, 'data')).toEqual(new Map([[id('4'), 10], [id('5'), 20], [`ab${'0'.repeat(62)}`, 30]]));
      expect(await listNames(storage, 'index')).toEqual(new Map([[id('6'), 40]]));
      expect(await listNames(storage, 'config')).toEqual(new Map([['config', 50]]));
      expect(await listNames(storage, 'snapshots')).toEqual(new Map());
      for (const type of ['data', 'index', 'config'] as const) {
        for await (const listed of storage.list(type)) {
          expectWrittenBetween(listed, before, after);
          // list and stat agree on when the object was written (to the second: S3's HEAD has no more).
          const stated = await storage.stat({ type, name: listed.name });
          expect(Math.abs(stated.mtime.getTime() - listed.mtime.getTime())).toBeLessThan(1000);
        }
      }
    });

    test('put replaces, delete removes', async () => {
      const h: Handle = { type: 'snapshots', name: id('7') };
      await storage.put(h, bytes(5, 1));
      await storage.put(h, bytes(6, 2));
      expect(Buffer.from(await storage.get(h))).toEqual(Buffer.from(bytes(6, 2)));
      await storage.delete(h);
      expect(await listNames(storage, 'snapshots')).toEqual(new Map());
    });

    test('concurrent puts of different objects all land whole, each with its own bytes', async () => {
      const name = (i: number) => i.toString(16).padStart(64, '0');
      const contents = Array.from({ length: 16 }, (_, i) => bytes(256 * 1024 + i, i + 1));
      await Promise.all(contents.map((data, i) => storage.put({ type: 'data', name: name(i) }, data)));
      const listed = await listNames(storage, 'data');
      expect(listed).toEqual(new Map(contents.map((data, i) => [name(i), data.length])));
      const stored = await Promise.all(contents.map((_, i) => storage.get({ type: 'data', name: name(i) })));
      expect(stored.map(sha256)).toEqual(contents.map(sha256));
    });

    test('names that could escape the repository are refused by every operation, and nothing is touched', async () => {
      const kept: Handle = { type: 'index', name: id('8') };
      await storage.put(kept, bytes(3));
      for (const name of ['../x', 'a/b', '', '.hidden', '..', `../index/${id('8')}`]) {
        const h: Handle = { type: 'data', name };
        for (const op of [() => storage.put(h, bytes(1)), () => storage.get(h), () => storage.get(h, { offset: 0, length: 1 }), () => storage.stat(h), () => storage.delete(h)]) {
          await expect(op()).rejects.toMatchObject({ kind: 'permanent' });
        }
      }
      for (const type of ['../index', '..', 'data/../index', ''] as unknown as FileType[]) {
        await expect(listNames(storage, type)).rejects.toMatchObject({ kind: 'permanent' });
        await expect(storage.get({ type, name: id('8') })).rejects.toMatchObject({ kind: 'permanent' });
      }
      expect(Buffer.from(await storage.get(kept))).toEqual(Buffer.from(bytes(3)));
    });
  });
}
