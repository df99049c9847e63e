// The storage conformance suite: every backend must pass it. Call it from a test file with a
// factory that returns a fresh, empty Storage (and optionally a cleanup).

import { FileType, Handle, isNotFound, Storage, StorageError } from '../../storage/storage';

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
      ];
      for (const [i, h] of handles.entries()) await storage.put(h, bytes(1000 + i, i));
      for (const [i, h] of handles.entries()) expect(Buffer.from(await storage.get(h))).toEqual(Buffer.from(bytes(1000 + i, i)));
    });

    test('an empty object round-trips', async () => {
      await storage.put({ type: 'locks', name: id('0') }, new Uint8Array(0));
      expect((await storage.get({ type: 'locks', name: id('0') })).length).toBe(0);
      expect(await storage.stat({ type: 'locks', name: id('0') })).toEqual({ size: 0 });
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

    test('stat gives the size; missing objects are not-found for get, stat and delete', async () => {
      const h: Handle = { type: 'index', name: id('2') };
      await storage.put(h, bytes(777));
      expect(await storage.stat(h)).toEqual({ size: 777 });
      const missing: Handle = { type: 'index', name: id('3') };
      for (const op of [() => storage.get(missing), () => storage.stat(missing), () => storage.delete(missing)]) {
        const err = await op().then(() => undefined, (e: unknown) => e);
        expect(isNotFound(err)).toBe(true);
      }
    });

    test('list yields every object of one type with its size, and only that type', async () => {
      await storage.put({ type: 'data', name: id('4') }, bytes(10));
      await storage.put({ type: 'data', name: id('5') }, bytes(20));
      await storage.put({ type: 'data', name: `ab${'0'.repeat(62)}` }, bytes(30));
      await storage.put({ type: 'index', name: id('6') }, bytes(40));
      expect(await listNames(storage, 'data')).toEqual(new Map([[id('4'), 10], [id('5'), 20], [`ab${'0'.repeat(62)}`, 30]]));
      expect(await listNames(storage, 'index')).toEqual(new Map([[id('6'), 40]]));
      expect(await listNames(storage, 'snapshots')).toEqual(new Map());
    });

    test('put replaces, delete removes', async () => {
      const h: Handle = { type: 'snapshots', name: id('7') };
      await storage.put(h, bytes(5, 1));
      await storage.put(h, bytes(6, 2));
      expect(Buffer.from(await storage.get(h))).toEqual(Buffer.from(bytes(6, 2)));
      await storage.delete(h);
      expect(await listNames(storage, 'snapshots')).toEqual(new Map());
    });

    test('concurrent puts of different objects all land whole', async () => {
      const data = bytes(256 * 1024);
      await Promise.all(Array.from({ length: 16 }, (_, i) => storage.put({ type: 'data', name: i.toString(16).padStart(64, '0') }, data)));
      const listed = await listNames(storage, 'data');
      expect(listed.size).toBe(16);
      for (const size of listed.values()) expect(size).toBe(data.length);
    });

    test('names that could escape the repository are refused', async () => {
      for (const name of ['../x', 'a/b', '', '.hidden']) {
        await expect(storage.put({ type: 'data', name }, bytes(1))).rejects.toMatchObject({ kind: 'permanent' });
      }
    });
  });
}
