// A blob on its way into a pack: compressed (kept raw when that does not shrink it), then sealed.
// Decoding reverses both steps and checks the blob's id against its content.

import { compressBlob, CompressionLevel, CompressionName, decompressBlob, decompressBlobReusing } from './compression.js';
import { blobId, MasterKeys, openReusingUnder, openUnder, seal, SEAL_OVERHEAD } from './crypto.js';
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

/** Where an encoded blob's bytes go: a buffer of exactly `length` bytes. */
export type BlobOutput = (length: number) => Uint8Array;

const newBuffer: BlobOutput = (length) => Buffer.allocUnsafeSlow(length);

/** The blob's bytes are written once, into what `output` hands out; they never alias `data`. */
export function encodeBlob(
  settings: BlobCodecSettings,
  type: BlobType,
  data: Uint8Array,
  id = blobId(settings.keys, data),
  output: BlobOutput = newBuffer,
): EncodedBlob {
  const compressed = compressBlob(data, settings.compression, settings.compressionLevel);
  let bytes: Uint8Array;
  if (settings.keys) {
    bytes = seal(settings.keys.encryption, compressed.bytes, output(compressed.bytes.length + SEAL_OVERHEAD));
  } else {
    bytes = output(compressed.bytes.length);
    bytes.set(compressed.bytes);
  }
  return { id, type, codec: compressed.codec, rawLength: data.length, bytes };
}

export interface StoredBlobInfo {
  id: string;
  codec: number;
  rawLength: number;
}

/** Opens, decompresses and checks a blob read from a pack; throws an integrity error on any mismatch. */
export function decodeBlob(keys: MasterKeys | null, info: StoredBlobInfo, stored: Uint8Array): Uint8Array {
  const what = `blob ${info.id.slice(0, 12)}`;
  const compressed = keys ? openUnder(keys, stored, what) : stored;
  const data = decompressBlob(info.codec, compressed, info.rawLength);
  if (blobId(keys, data) !== info.id) throw integrityError(`${what} (content hash)`);
  return data;
}

/**
 * Restore's decode of a blob about to be written out: the result may live in a buffer that this
 * thread's next call reuses (opened and decompressed bytes each have one). In an encrypted
 * repository the id is NOT re-hashed here: the AES-GCM tag already authenticates every stored
 * byte under the repository key, so a damaged or forged blob fails to open, and the index entry
 * that leads here (pack, offset, length, raw length) was itself sealed. The HMAC would add
 * ~0.5 s of CPU per GiB for no protection against damage.
 * Without encryption there is no tag, so the id is still checked; deep verify (decodeBlob) always
 * re-hashes.
 */
export function decodeBlobForRestore(keys: MasterKeys | null, info: StoredBlobInfo, stored: Uint8Array): Uint8Array {
  const what = `blob ${info.id.slice(0, 12)}`;
  const compressed = keys ? openReusingUnder(keys, stored, what) : stored;
  const data = decompressBlobReusing(info.codec, compressed, info.rawLength);
  if (!keys && blobId(null, data) !== info.id) throw integrityError(`${what} (content hash)`);
  return data;
}
