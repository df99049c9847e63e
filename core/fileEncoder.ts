// Turns one file into blobs: read (synchronously, in the calling thread), chunk, hash, and
// encode every chunk not already known. Runs inline or inside an encoder thread.

import fs from 'node:fs';
import { BlobCodecSettings, BlobOutput, EncodedBlob, encodeBlob } from './blobCodec.js';
import { Chunker, ChunkerConfig, ChunkerParams } from './chunker.js';
import { blobId } from './crypto.js';
import { errorReason, PathBytes } from './fileNames.js';
import { KnownBlobs } from './knownBlobs.js';

export interface EncodedFile {
  content: string[];
  bytesRead: number;
  /** Why the file could not be read, without its path (it is then left out of the snapshot). */
  error?: string;
}

const READ_SIZE = 1024 * 1024;

/** The read buffer holds the largest chunk plus one read; a caller may pass one in to reuse it. */
export function readBufferSize(params: ChunkerParams): number {
  return params.max + READ_SIZE;
}

/** Encodes files, remembering which blob ids it has already produced or been told about. */
export class FileEncoder {
  private readonly chunker: Chunker;
  private readonly buffer: Buffer;

  constructor(
    private readonly settings: BlobCodecSettings,
    params: ChunkerConfig,
    private readonly known: KnownBlobs,
    private readonly output?: BlobOutput,
    readBuffer?: Buffer,
    /** Told the size of every read, as it happens. */
    private readonly onRead?: (bytes: number) => void,
  ) {
    this.chunker = new Chunker(params);
    const size = readBufferSize(params);
    this.buffer = readBuffer && readBuffer.length === size ? readBuffer : Buffer.allocUnsafe(size);
  }

  /** Yields each new blob of the file in order; returns the file's chunk list. */
  *encode(path: PathBytes): Generator<EncodedBlob, EncodedFile> {
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (err) {
      return { content: [], bytesRead: 0, error: errorReason(err) };
    }
    const content: string[] = [];
    let bytesRead = 0;
    let filled = 0;
    let eof = false;
    try {
      while (!eof || filled > 0) {
        while (!eof && filled < this.buffer.length) {
          const n = fs.readSync(fd, this.buffer, filled, Math.min(READ_SIZE, this.buffer.length - filled), null);
          if (n === 0) eof = true;
          filled += n;
          bytesRead += n;
          this.onRead?.(n);
        }
        let start = 0;
        for (;;) {
          const length = this.chunker.cut(this.buffer, start, filled, eof);
          if (length <= 0) break;
          const chunk = this.buffer.subarray(start, start + length);
          const id = blobId(this.settings.keys, chunk);
          content.push(id);
          if (!this.known.has(id)) {
            this.known.add(id);
            yield encodeBlob(this.settings, 'data', chunk, id, this.output);
          }
          start += length;
          if (start >= filled) break;
        }
        this.buffer.copyWithin(0, start, filled);
        filled -= start;
      }
    } catch (err) {
      return { content: [], bytesRead, error: errorReason(err) };
    } finally {
      fs.closeSync(fd);
    }
    return { content, bytesRead };
  }
}
