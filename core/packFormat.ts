// The pack file format: blobs back to back, then a sealed JSON header listing each blob's id,
// type, offset, length, codec and raw length, then the header's length as 4 bytes little-endian.
// A pack's name is the SHA-256 of its stored header and trailer: the header lists every blob's
// content id and place, and every stored byte is covered by a GCM tag (or, unencrypted, by the
// blob's content hash), so hashing the whole pack again would add cost and no protection.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EncodedBlob } from './blobCodec.js';
import { MasterKeys, open, seal } from './crypto.js';
import { RepositoryError } from './errors.js';
import { Storage } from '../storage/storage.js';

export const PackBlobEntrySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  type: z.enum(['data', 'tree']),
  offset: z.number().int().nonnegative(),
  length: z.number().int().positive(),
  codec: z.number().int().nonnegative(),
  rawLength: z.number().int().nonnegative(),
});
export type PackBlobEntry = z.infer<typeof PackBlobEntrySchema>;

export interface BuiltPack {
  id: string;
  bytes: Uint8Array;
  blobs: PackBlobEntry[];
}

const TRAILER = 4;

/**
 * Assembles one pack: each blob is copied in as it arrives (so the blob's own buffer can be freed
 * at once), and finish() appends the sealed header and trailer. The buffer may be one a finished
 * pack used before: BuiltPack.bytes always views the start of a buffer of its own.
 */
export class PackBuilder {
  private buffer: Buffer;
  private length = 0;
  private readonly entries: PackBlobEntry[] = [];

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  /** Bytes of blobs added so far. */
  get size(): number {
    return this.length;
  }

  add(blob: EncodedBlob): void {
    this.entries.push({ id: blob.id, type: blob.type, offset: this.length, length: blob.bytes.length, codec: blob.codec, rawLength: blob.rawLength });
    this.append(blob.bytes);
  }

  finish(keys: MasterKeys | null): BuiltPack {
    const plainHeader = Buffer.from(JSON.stringify(this.entries));
    const header = keys ? seal(keys.encryption, plainHeader) : plainHeader;
    const trailer = Buffer.allocUnsafe(TRAILER);
    trailer.writeUInt32LE(header.length);
    const headerAt = this.length;
    this.append(header);
    this.append(trailer);
    const id = createHash('sha256').update(this.buffer.subarray(headerAt, this.length)).digest('hex');
    return { id, bytes: this.buffer.subarray(0, this.length), blobs: this.entries };
  }

  private append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, this.length + bytes.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }
}

/** Reads and parses a pack's header with at most two ranged reads. */
export async function readPackHeader(storage: Storage, keys: MasterKeys | null, packId: string, packSize: number): Promise<PackBlobEntry[]> {
  const malformed = (why: string) => new RepositoryError('integrity', `[repository] pack ${packId.slice(0, 12)} has a malformed header: ${why}`);
  if (packSize < TRAILER) throw malformed('too short');
  const tailLength = Math.min(packSize, 64 * 1024);
  let tail = await storage.get({ type: 'data', name: packId }, { offset: packSize - tailLength, length: tailLength });
  const headerLength = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).readUInt32LE(tail.length - TRAILER);
  if (headerLength + TRAILER > packSize) throw malformed('header length out of range');
  if (headerLength + TRAILER > tail.length) {
    tail = await storage.get({ type: 'data', name: packId }, { offset: packSize - TRAILER - headerLength, length: headerLength + TRAILER });
  }
  const stored = tail.subarray(tail.length - TRAILER - headerLength, tail.length - TRAILER);
  const plain = keys ? open(keys.encryption, stored, `pack ${packId.slice(0, 12)} header`) : stored;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plain).toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  const entries = z.array(PackBlobEntrySchema).safeParse(parsed);
  if (!entries.success) throw malformed(entries.error.issues[0]?.message ?? 'invalid');
  return entries.data;
}
