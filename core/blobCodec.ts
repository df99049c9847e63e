// A blob on its way into a pack: compressed (kept raw when that does not shrink it), then sealed.
// Decoding reverses both steps and checks the blob's id against its content.

import { compressBlob, CompressionLevel, CompressionName, decompressBlob, decompressBlobReusing } from './compression.js';
import { blobId, MasterKeys, open, seal } from './crypto.js';
import { integrityError } from './errors.js';

export type BlobType = 'data' | 'tree';

export interface EncodedBlob {
  id: string;
  type: BlobType;
  codec: number;
  rawLength: number;
  /** What goes into the pack: the sealed (or, unencrypted, the compressed) bytes. */
  bytes: Uint8Array;
}

export interface BlobCodecSettings {
  keys: MasterKeys | null;
  compression: CompressionName;
  compressionLevel: CompressionLevel;
}

export function encodeBlob(settings: BlobCodecSettings, type: BlobType, data: Uint8Array, id = blobId(settings.keys, data)): EncodedBlob {
  const compressed = compressBlob(data, settings.compression, settings.compressionLevel);
  const bytes = settings.keys ? seal(settings.keys.encryption, compressed.bytes) : owned(data, compressed.bytes);
  return { id, type, codec: compressed.codec, rawLength: data.length, bytes };
}

/** Raw bytes stay the caller's view of its own data; compressed bytes are copied out of the scratch buffer. */
function owned(data: Uint8Array, bytes: Uint8Array): Uint8Array {
  return bytes === data ? bytes : Uint8Array.from(bytes);
}

export interface StoredBlobInfo {
  id: string;
  codec: number;
  rawLength: number;
}

/** Opens, decompresses and checks a blob read from a pack; throws an integrity error on any mismatch. */
export function decodeBlob(keys: MasterKeys | null, info: StoredBlobInfo, stored: Uint8Array): Uint8Array {
  const what = `blob ${info.id.slice(0, 12)}`;
  const compressed = keys ? open(keys.encryption, stored, what) : stored;
  const data = decompressBlob(info.codec, compressed, info.rawLength);
  if (blobId(keys, data) !== info.id) throw integrityError(`${what} (content hash)`);
  return data;
}

/**
 * Restore's decode of a blob about to be written out: the result may live in a buffer that this
 * thread's next call reuses. In an encrypted repository the id is NOT re-hashed here: the AES-GCM
 * tag already authenticates every stored byte under the repository key, so a damaged or forged
 * blob fails to open, and the index entry that leads here (pack, offset, length, raw length) was
 * itself sealed. The HMAC would add ~0.5 s of CPU per GiB for no protection against damage.
 * Without encryption there is no tag, so the id is still checked; deep verify (decodeBlob) always
 * re-hashes.
 */
export function decodeBlobForRestore(keys: MasterKeys | null, info: StoredBlobInfo, stored: Uint8Array): Uint8Array {
  const what = `blob ${info.id.slice(0, 12)}`;
  const compressed = keys ? open(keys.encryption, stored, what) : stored;
  const data = decompressBlobReusing(info.codec, compressed, info.rawLength);
  if (!keys && blobId(null, data) !== info.id) throw integrityError(`${what} (content hash)`);
  return data;
}
