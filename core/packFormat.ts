// The pack file format: blobs back to back, then a sealed JSON header listing each blob's id,
// type, offset, length, codec and raw length, then the header's length as 4 bytes little-endian.
// A pack's name is the SHA-256 of its whole content.

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

export function buildPack(keys: MasterKeys | null, blobs: EncodedBlob[]): BuiltPack {
  const entries: PackBlobEntry[] = [];
  let offset = 0;
  for (const b of blobs) {
    entries.push({ id: b.id, type: b.type, offset, length: b.bytes.length, codec: b.codec, rawLength: b.rawLength });
    offset += b.bytes.length;
  }
  const plainHeader = Buffer.from(JSON.stringify(entries));
  const header = keys ? seal(keys.encryption, plainHeader) : plainHeader;
  const bytes = Buffer.allocUnsafe(offset + header.length + TRAILER);
  let at = 0;
  for (const b of blobs) {
    bytes.set(b.bytes, at);
    at += b.bytes.length;
  }
  bytes.set(header, at);
  bytes.writeUInt32LE(header.length, at + header.length);
  return { id: createHash('sha256').update(bytes).digest('hex'), bytes, blobs: entries };
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
