// The append-only suite: a backend opened append-only (the role of a backup host) adds files of
// every type, but deletes and replaces none except locks and health canaries (putting the same
// bytes again is no replacement), and a refusal leaves the object as it was; the same place opened with full access still deletes. Call it
// with a factory that opens one fresh, empty place both ways.

import { FileType, Handle, Storage, StorageError } from '../../storage/storage';

export interface AppendOnlyTarget {
  name: string;
  /** The same empty place, opened append-only and with full access. */
  create(): Promise<{ appendOnly: Storage; full: Storage }>;
}

const id = (c: string) => c.repeat(64);
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

/** Every kind of file a repository keeps that must outlive a stolen backup host. */
const KEPT: Handle[] = [
  { type: 'config', name: 'config' },
  { type: 'keys', name: id('a') },
  { type: 'data', name: id('b') },
  { type: 'index', name: id('c') },
  { type: 'snapshots', name: id('d') },
  { type: 'journal', name: id('e') },
  { type: 'wal', name: 'main.000000010000000000000001' },
];

async function refusal(run: () => Promise<unknown>): Promise<StorageError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).kind).toBe('refused');
  expect((err as StorageError).message).not.toContain('\n');
  return err as StorageError;
}

export function describeAppendOnly(target: AppendOnlyTarget): void {
  describe(`append-only access: ${target.name}`, () => {
    let appendOnly: Storage;
    let full: Storage;
    beforeEach(async () => {
      ({ appendOnly, full } = await target.create());
    });
    afterEach(async () => {
      await Promise.all([appendOnly.close(), full.close()]);
    });

    test('adds a file of every type, and neither deletes nor replaces one; each refusal leaves the file as it was', async () => {
      for (const h of KEPT) await appendOnly.put(h, bytes(`first ${h.type}`));
      for (const h of KEPT) {
        const replaced = await refusal(() => appendOnly.put(h, bytes('ransom note')));
        expect(replaced.message).toMatch(/refused to replace .* append-only/);
        expect((await refusal(() => appendOnly.delete(h))).message).toMatch(/refused to delete .* append-only/);
        expect(text(await full.get(h))).toBe(`first ${h.type}`);
      }
    });

    test('putting the bytes a file already holds succeeds (a retried put), streamed too', async () => {
      const h = { type: 'snapshots', name: id('6') } as const;
      await appendOnly.put(h, bytes('the same snapshot'));
      await appendOnly.put(h, bytes('the same snapshot'));
      await refusal(() => appendOnly.put(h, bytes('the same length!!')));
      if (appendOnly.openPut) {
        const put = appendOnly.openPut('snapshots');
        await put.write(bytes('the same snapshot'), 0);
        await put.commit(h.name);
      }
      expect(text(await full.get(h))).toBe('the same snapshot');
    });

    test('a delete is refused even for a file that is not there, so nothing is learnt from it', async () => {
      await refusal(() => appendOnly.delete({ type: 'snapshots', name: id('f') }));
    });

    test('locks and health canaries are still written, replaced and deleted', async () => {
      for (const type of ['locks', 'health'] as FileType[]) {
        const h = { type, name: id('9') };
        await appendOnly.put(h, bytes('one'));
        await appendOnly.put(h, bytes('two'));
        expect(text(await appendOnly.get(h))).toBe('two');
        await appendOnly.delete(h);
        await expect(full.stat(h)).rejects.toMatchObject({ kind: 'not-found' });
      }
    });

    test('a streamed put cannot commit over an existing file, and leaves no temporary file', async () => {
      if (!appendOnly.openPut) return;
      const h = { type: 'data', name: id('7') } as const;
      await appendOnly.put(h, bytes('original pack'));
      const put = appendOnly.openPut('data');
      await put.write(bytes('a forged pack'), 0);
      await refusal(() => put.commit(h.name));
      expect(text(await full.get(h))).toBe('original pack');
      const temporary: string[] = [];
      for await (const file of full.listTemporaryFiles?.() ?? []) temporary.push(file.name);
      expect(temporary).toEqual([]);
    });

    test('full access to the same place still deletes (the maintenance role)', async () => {
      const h = { type: 'snapshots', name: id('8') } as const;
      await appendOnly.put(h, bytes('snapshot'));
      await full.delete(h);
      await expect(full.stat(h)).rejects.toMatchObject({ kind: 'not-found' });
    });
  });
}
