// Messages between the encoder pool (main thread) and its encoder threads. Each thread writes the
// blobs it encodes into a ring of shared memory and sends only their places; the main thread
// packs them in order and gives the space back. No per-blob buffer crosses threads.

import { BlobCodecSettings, BlobType } from './blobCodec.js';
import { SharedBlobIds } from './blobIdTable.js';
import { ChunkerConfig, ChunkerParams } from './chunker.js';
import { SEAL_OVERHEAD } from './crypto.js';
import { EncodedFile } from './fileEncoder.js';
import { PathBytes } from './fileNames.js';

/** Blob places are sent in groups of at most this many, or this many bytes. */
export const GROUP_BLOBS = 64;
export const GROUP_BYTES = 4 * 1024 * 1024;

/**
 * Ring bytes per thread: room for the largest blob (8 MiB with the default chunker), which an
 * emptied ring always has (see reserve in encoderThread.ts). Every page of a ring is resident once
 * the thread has wrapped around it: backing up 1,000,000 tiles, a worker peaked at 345 MiB with
 * one blob's room against 365 MiB with two (one run each).
 */
export function ringBytes(chunker: ChunkerParams): number {
  return chunker.max + SEAL_OVERHEAD;
}

export interface EncoderThreadData {
  ring: SharedArrayBuffer;
  /** One Int32: ring bytes written by the thread and not yet given back by the main thread. */
  used: SharedArrayBuffer;
}

/** A blob in the ring; `charge` is its length plus the ring tail skipped to place it. */
export interface RingBlob {
  id: string;
  type: BlobType;
  codec: number;
  rawLength: number;
  offset: number;
  length: number;
  charge: number;
}

/** A session starts each backup's use of a thread; batches follow, and `idle` when it is over. */
export type ThreadRequest =
  | { kind: 'session'; settings: BlobCodecSettings; chunker: ChunkerConfig }
  /** `known`: the index's blob ids as they are now, shared memory read in place (see BlobIdTable). */
  | { kind: 'batch'; batch: number; paths: PathBytes[]; known: SharedBlobIds }
  /** The backup is over: let go of its encoder (its key) and of its index's shared memory. */
  | { kind: 'idle' };

/** A thread reports the bytes it has read every this many, so that progress moves inside a large file. */
export const READ_REPORT_BYTES = 16 * 1024 * 1024;

export type ThreadReply =
  | { kind: 'blobs'; blobs: RingBlob[] }
  /** Bytes read since the last report, of files of the running batch (their totals come with `done`). */
  | { kind: 'read'; bytes: number }
  | { kind: 'done'; batch: number; files: EncodedFile[] };
