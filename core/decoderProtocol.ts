// Messages between the decoder pool (main thread) and its decoder threads.

import { StoredBlobInfo } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { RepositoryErrorCode } from './errors.js';

export interface DecoderThreadData {
  keys: MasterKeys | null;
}

export interface SpanBlob extends StoredBlobInfo {
  /** Where the blob starts in the span, and its stored length. */
  spanOffset: number;
  length: number;
}

export interface DecodeRequest {
  job: number;
  span: ArrayBuffer;
  blobs: SpanBlob[];
}

export type DecodeReply = { job: number; plains: Uint8Array[] } | { job: number; error: { code?: RepositoryErrorCode; message: string } };
