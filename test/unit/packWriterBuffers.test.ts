// The pack writer's buffer reuse on a storage without streaming puts (cloud backends): when a
// pack's upload succeeded but recording it in the index failed, its buffer must go back to the
// spare pool once, not twice, or two later packs share one buffer and one overwrites the other
// while it uploads. Its own test file: the spare pool is module state.

import { encodeBlob, EncodedBlob } from '../../core/blobCodec';
import { IndexedPack } from '../../core/masterIndex';
import { PackWriter } from '../../core/packWriter';
import { MemoryStorage } from '../../storage/memory';
import { Handle } from '../../storage/storage';
import { pseudoRandomBytes } from '../helpers/trees';

const PACK_SIZE = 1024 * 1024;

/** Memory storage whose puts read the bytes only after a delay, as an upload streaming from the buffer does. */
class SlowUploadStorage extends MemoryStorage {
  override async put(h: Handle, data: Uint8Array): Promise<void> {
    await new Promise((r) => setTimeout(r, 50));
    await super.put(h, data);
  }
}

function blob(seed: number): EncodedBlob {
  return encodeBlob({ keys: null, compression: 'none', compressionLevel: 'default' }, 'data', pseudoRandomBytes(PACK_SIZE, seed));
}

test('a pack whose index entry failed to be written gives its buffer back once: later concurrent packs stay intact', async () => {
  const storage = new SlowUploadStorage();
  const failing = new PackWriter(storage, null, PACK_SIZE, () => Promise.reject(new Error('index put failed')));
  await failing.add(blob(1));
  await expect(failing.flush()).rejects.toThrow('index put failed');

  // Two writers at once, as two backups in one worker: each takes a pack buffer from the pool.
  const stored: IndexedPack[] = [];
  const writer = () => new PackWriter(storage, null, PACK_SIZE, async (pack) => void stored.push(pack));
  const [a, b] = [writer(), writer()];
  const blobs = new Map([blob(2), blob(3)].map((x) => [x.id, x]));
  const [blobA, blobB] = blobs.values();
  await Promise.all([a.add(blobA!), b.add(blobB!)]);
  await Promise.all([a.flush(), b.flush()]);

  expect(stored).toHaveLength(2);
  for (const pack of stored) {
    const bytes = await storage.get({ type: 'data', name: pack.id });
    for (const entry of pack.blobs) {
      expect(Buffer.from(bytes.subarray(entry.offset, entry.offset + entry.length)).equals(Buffer.from(blobs.get(entry.id)!.bytes))).toBe(true);
    }
  }
});
