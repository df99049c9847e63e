// Messages between the decoder pool (main thread) and its decoder threads, and the one
// function both sides use to put a step's blobs into their files.

import fs from 'node:fs';
import { decodeBlobForRestore, StoredBlobInfo } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { RepositoryErrorCode } from './errors.js';
import { PathBytes, receivedPath } from './fileNames.js';
import { setTimesNsFd } from './nativeFs.js';
import { Xattrs, writeXattrs } from './xattrs.js';

export interface DecoderThreadData {
  keys: MasterKeys | null;
}

/** What a file gets once its last bytes are written: owner, attributes, mode, size, mtime. */
export interface FileFinish {
  mode: number;
  mtimeNs: string;
  /** The final size: all-zero blobs are not written (they stay holes), so the end may be one. */
  size: number;
  /** Set only when restoring as root. */
  owner?: { uid: number; gid: number };
  xattrs?: Xattrs;
}

/** A file a step writes into (created by the first write). */
export interface StepFile {
  /** A buffer (in a thread: a Uint8Array) when the path is not UTF-8. */
  path: string | Uint8Array;
  /** Present when this step writes the file's last bytes: finish it before closing. */
  finish?: FileFinish;
}

/** Where a blob's plain bytes go: a file of the step (by its index in the step's files) and an offset in it. */
export interface BlobTarget {
  file: number;
  offset: number;
}

export interface SpanBlob extends StoredBlobInfo {
  /** Where the blob starts in the span, and its stored length. */
  spanOffset: number;
  length: number;
  targets: BlobTarget[];
}

/** A span of a pack and what to do with it. */
export interface DecodeStep {
  files: StepFile[];
  blobs: SpanBlob[];
}

export interface DecodeRequest extends DecodeStep {
  job: number;
  span: ArrayBuffer;
}

/**
 * The span comes back with the reply (transferred, no copy), for the pool to free at once. An
 * error keeps its engine code, or its errno code, syscall and path (a full or read-only target
 * must stay recognisable as such after crossing the thread boundary).
 */
export type DecodeReply = { job: number; span: ArrayBuffer } | { job: number; span: ArrayBuffer; error: DecodeError };

export interface DecodeError {
  code?: RepositoryErrorCode;
  errno?: Pick<NodeJS.ErrnoException, 'code' | 'syscall' | 'path'>;
  message: string;
}

// Opened without following a symlink; the restorer has removed any stale entry beforehand.
export const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

/**
 * Opens, decompresses and checks every blob of a span (see decodeBlobForRestore for what is
 * checked) and writes it at each of its targets, synchronously (in a decoder thread, or inline):
 * each file opens once per step and closes after the step's last blob for it (a step into
 * 100,000 small files must not hold 100,000 descriptors: EMFILE), and a file the step completes
 * is finished through the open descriptor. A blob of zeros is not written: the file keeps a hole
 * there (sparse files stay sparse).
 */
export function writeSpan(keys: MasterKeys | null, span: Uint8Array, step: DecodeStep): void {
  const fds: (number | undefined)[] = [];
  const lastBlob: number[] = [];
  step.blobs.forEach((blob, b) => {
    for (const target of blob.targets) lastBlob[target.file] = b;
  });
  try {
    step.blobs.forEach((blob, b) => {
      const plain = decodeBlobForRestore(keys, blob, span.subarray(blob.spanOffset, blob.spanOffset + blob.length));
      const hole = isAllZero(plain);
      for (const target of blob.targets) {
        const file = step.files[target.file]!;
        const fd = (fds[target.file] ??= fs.openSync(receivedPath(file.path), OPEN_FLAGS, creationMode(file.finish)));
        if (hole) continue;
        for (let done = 0; done < plain.length; ) done += fs.writeSync(fd, plain, done, plain.length - done, target.offset + done);
      }
      for (const target of blob.targets) {
        const fd = fds[target.file];
        if (lastBlob[target.file] !== b || fd === undefined) continue;
        fds[target.file] = undefined;
        try {
          const finish = step.files[target.file]!.finish;
          if (finish) finishFile(fd, receivedPath(step.files[target.file]!.path), finish);
        } finally {
          fs.closeSync(fd);
        }
      }
    });
  } finally {
    for (const fd of fds) if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Owner first (chown clears setuid and setgid), then attributes, mode, size and the exact mtime.
 * One fstat spares the metadata writes a fresh file usually does not need (owner already the
 * restoring user's, mode already given at creation, size already reached by the last write),
 * which cost a journal entry each.
 */
export function finishFile(fd: number, path: PathBytes, finish: FileFinish): void {
  const st = fs.fstatSync(fd);
  if (finish.owner && (st.uid !== finish.owner.uid || st.gid !== finish.owner.gid)) fs.fchownSync(fd, finish.owner.uid, finish.owner.gid);
  if (finish.xattrs) writeXattrs(path, finish.xattrs);
  if ((st.mode & 0o7777) !== finish.mode) fs.fchmodSync(fd, finish.mode);
  if (st.size !== finish.size) fs.ftruncateSync(fd, finish.size);
  setTimesNsFd(fd, finish.mtimeNs);
}

/**
 * The permissions a file is created with: its final ones when this step finishes it (after the
 * umask, usually exactly them, so finishFile need not chmod), always readable and writable by its
 * owner (a later step or a resumed restore opens it again); else owner-only until finished.
 */
export function creationMode(finish: FileFinish | undefined): number {
  return finish ? (finish.mode & 0o777) | 0o600 : 0o600;
}

let zeros = new Uint8Array(0);

/** memcmp against a zero buffer, after a look at both ends (which settles almost every data chunk). */
function isAllZero(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] !== 0 || bytes[bytes.length - 1] !== 0) return false;
  if (zeros.length < bytes.length) zeros = new Uint8Array(bytes.length);
  return Buffer.compare(bytes, zeros.subarray(0, bytes.length)) === 0;
}
