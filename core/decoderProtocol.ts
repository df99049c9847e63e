// Messages between the decoder pool (main thread) and its decoder threads, and the one
// function both sides use to put a step's blobs into their files.

import fs from 'node:fs';
import { decodeBlobForRestore, StoredBlobInfo } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { RepositoryErrorCode } from './errors.js';

export interface DecoderThreadData {
  keys: MasterKeys | null;
}

/** Where a blob's plain bytes go: a file (created by the first write) and an offset in it. */
export interface BlobTarget {
  path: string;
  offset: number;
}

export interface SpanBlob extends StoredBlobInfo {
  /** Where the blob starts in the span, and its stored length. */
  spanOffset: number;
  length: number;
  targets: BlobTarget[];
}

export interface DecodeRequest {
  job: number;
  span: ArrayBuffer;
  blobs: SpanBlob[];
}

export type DecodeReply = { job: number } | { job: number; error: { code?: RepositoryErrorCode; message: string } };

// Opened without following a symlink; the restorer has removed any stale entry beforehand.
const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

/**
 * Opens, decompresses and checks every blob of a span (see decodeBlobForRestore for what is
 * checked) and writes it at each of its targets, synchronously (in a decoder thread, or inline):
 * each file opens once per step.
 */
export function writeSpan(keys: MasterKeys | null, span: Uint8Array, blobs: SpanBlob[]): void {
  const fds = new Map<string, number>();
  try {
    for (const blob of blobs) {
      const plain = decodeBlobForRestore(keys, blob, span.subarray(blob.spanOffset, blob.spanOffset + blob.length));
      for (const target of blob.targets) {
        let fd = fds.get(target.path);
        if (fd === undefined) fds.set(target.path, (fd = fs.openSync(target.path, OPEN_FLAGS, 0o600)));
        for (let done = 0; done < plain.length; ) done += fs.writeSync(fd, plain, done, plain.length - done, target.offset + done);
      }
    }
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
  }
}
