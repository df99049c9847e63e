// Messages between the encoder pool (main thread) and its encoder threads.

import { BlobCodecSettings, EncodedBlob } from './blobCodec.js';
import { ChunkerParams } from './chunker.js';
import { EncodedFile } from './fileEncoder.js';

/** Bytes of encoded blobs a thread may have handed over but the main thread not yet packed. */
export const CREDIT_LIMIT = 48 * 1024 * 1024;

/** Blobs are handed over in groups of at most this many, or this many bytes. */
export const GROUP_BLOBS = 64;
export const GROUP_BYTES = 4 * 1024 * 1024;

export interface EncoderThreadData {
  settings: BlobCodecSettings;
  chunker: ChunkerParams;
  known: string[];
  /** One Int32: bytes in flight from this thread. */
  credit: SharedArrayBuffer;
}

export interface ThreadRequest {
  batch: number;
  paths: string[];
}

export type ThreadReply = { kind: 'blobs'; blobs: EncodedBlob[] } | { kind: 'done'; batch: number; files: EncodedFile[] };
