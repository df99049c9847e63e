// The pack file format: blobs back to back, then a sealed JSON header listing each blob's id,
// type, offset, length, codec and raw length, then the header's length as 4 bytes little-endian.
// A pack's name is the SHA-256 of its stored header and trailer: the header lists every blob's
// content id and place, and every stored byte is covered by a GCM tag (or, unencrypted, by the
// blob's content hash), so hashing the whole pack again would add cost and no protection.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EncodedBlob } from './blobCodec.js';
import { MasterKeys, openUnder, seal } from './crypto.js';
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

/** The blob entries of a pack being written, and at the end its sealed header and trailer. */
export class PackEntries {
  readonly entries: PackBlobEntry[] = [];
  /** Bytes of blobs added so far: where the next one starts. */
  size = 0;

  add(blob: EncodedBlob): void {
    this.entries.push({ id: blob.id, type: blob.type, offset: this.size, length: blob.bytes.length, codec: blob.codec, rawLength: blob.rawLength });
    this.size += blob.bytes.length;
  }

  /** The bytes that end the pack (sealed header, then its length) and the pack's id, their SHA-256. */
  tail(keys: MasterKeys | null): { id: string; bytes: Buffer } {
    const plainHeader = Buffer.from(JSON.stringify(this.entries));
    const header = keys ? seal(keys.encryption, plainHeader) : plainHeader;
    const bytes = Buffer.allocUnsafe(header.length + TRAILER);
    bytes.set(header);
    bytes.writeUInt32LE(header.length, header.length);
    return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
  }
}

/**
 * Assembles one pack in memory: each blob is copied in as it arrives (so the blob's own buffer
 * can be freed at once), and finish() appends the tail. The buffer may be one a finished pack
 * used before: BuiltPack.bytes always views the start of a buffer of its own.
 */
export class PackBuilder {
  private buffer: Buffer;
  private readonly pack = new PackEntries();

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  /** Bytes of blobs added so far. */
  get size(): number {
    return this.pack.size;
  }

  add(blob: EncodedBlob): void {
    const at = this.pack.size;
    this.pack.add(blob);
    this.place(blob.bytes, at);
  }

  finish(keys: MasterKeys | null): BuiltPack {
    const tail = this.pack.tail(keys);
    this.place(tail.bytes, this.pack.size);
    return { id: tail.id, bytes: this.buffer.subarray(0, this.pack.size + tail.bytes.length), blobs: this.pack.entries };
  }

  private place(bytes: Uint8Array, at: number): void {
    if (at + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, at + bytes.length));
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.buffer.set(bytes, at);
  }
}

const malformedHeader = (packId: string, why: string) => new RepositoryError('integrity', `[repository] pack ${packId.slice(0, 12)} has a malformed header: ${why}`);

/** Reads and parses a pack's header with at most two ranged reads. */
export async function readPackHeader(storage: Storage, keys: MasterKeys | null, packId: string, packSize: number): Promise<PackBlobEntry[]> {
  const stored = await readStoredPackHeader(storage, packId, packSize);
  const plain = keys ? openUnder(keys, stored, `pack ${packId.slice(0, 12)} header`) : stored;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plain).toString('utf8'));
  } catch {
    throw malformedHeader(packId, 'not JSON');
  }
  const entries = z.array(PackBlobEntrySchema).safeParse(parsed);
  if (!entries.success) throw malformedHeader(packId, entries.error.issues[0]?.message ?? 'invalid');
  return entries.data;
}

/** A pack's header as stored (sealed in an encrypted repository), with at most two ranged reads. */
export async function readStoredPackHeader(storage: Storage, packId: string, packSize: number): Promise<Uint8Array> {
  const malformed = (why: string) => malformedHeader(packId, why);
  if (packSize < TRAILER) throw malformed('too short');
  const tailLength = Math.min(packSize, 64 * 1024);
  let tail = await storage.get({ type: 'data', name: packId }, { offset: packSize - tailLength, length: tailLength });
  const headerLength = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).readUInt32LE(tail.length - TRAILER);
  if (headerLength + TRAILER > packSize) throw malformed('header length out of range');
  if (headerLength + TRAILER > tail.length) {
    tail = await storage.get({ type: 'data', name: packId }, { offset: packSize - TRAILER - headerLength, length: headerLength + TRAILER });
  }
  return tail.subarray(tail.length - TRAILER - headerLength, tail.length - TRAILER);
}
