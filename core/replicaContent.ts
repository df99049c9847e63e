// Checks a file read from the primary against its name before replication stores it anywhere
// else, so damage on the primary is reported and never propagated. Index, snapshot and journal
// files are named by the SHA-256 of their stored bytes. An archived WAL file is named after its
// cluster and WAL file, not its content: it must open with the repository's keys. A pack is named
// by the SHA-256 of its tail (sealed header + 4-byte length); its header, opened, must describe
// exactly the bytes before it. The blobs themselves are covered by their own GCM tags (checked by
// verify and restore), so hashing the whole pack again would cost and add nothing.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isDamage } from './damage.js';
import { PackBlobEntrySchema } from './packFormat.js';
import { Repository } from './repository.js';
import { Handle } from '../storage/storage.js';

const TRAILER = 4;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Why a replicated file's bytes are not what its type and name say; undefined when they are (keys are sealed with passwords: not checked). */
export function contentMismatch(repo: Repository, h: Handle, bytes: Uint8Array): string | undefined {
  if (h.type === 'data') return packMismatch(repo, h.name, bytes);
  if (h.type === 'wal') return sealedMismatch(repo, h.name, bytes);
  return h.type === 'keys' ? undefined : storedNameMismatch(h.name, bytes);
}

/** Why a sealed file not named by its content (an archived WAL file) does not open; undefined when it does. */
function sealedMismatch(repo: Repository, name: string, bytes: Uint8Array): string | undefined {
  try {
    repo.openFile(bytes, `${name} on the primary`);
    return undefined;
  } catch (err) {
    if (isDamage(err)) return 'it cannot be opened';
    throw err;
  }
}

/** Why an index, snapshot or journal file's bytes do not match its name; undefined when they do. */
export function storedNameMismatch(name: string, bytes: Uint8Array): string | undefined {
  return sha256(bytes) === name ? undefined : 'its content does not match its name';
}

/** Why a pack's bytes are not the pack its name says; undefined when they are. */
export function packMismatch(repo: Repository, name: string, bytes: Uint8Array): string | undefined {
  if (bytes.length < TRAILER) return 'too short';
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.readUInt32LE(bytes.length - TRAILER);
  if (headerLength + TRAILER > bytes.length) return 'its header length is out of range';
  const tail = view.subarray(bytes.length - TRAILER - headerLength);
  if (sha256(tail) !== name) return 'its header does not match its name';
  let entries: z.infer<typeof PackBlobEntrySchema>[];
  try {
    const plain = repo.openFile(tail.subarray(0, headerLength), `pack ${name.slice(0, 12)} header`);
    const parsed = z.array(PackBlobEntrySchema).safeParse(JSON.parse(Buffer.from(plain).toString('utf8')));
    if (!parsed.success) return 'its header is malformed';
    entries = parsed.data;
  } catch {
    return 'its header cannot be opened';
  }
  const dataEnd = entries.reduce((end, e) => Math.max(end, e.offset + e.length), 0);
  return dataEnd + headerLength + TRAILER === bytes.length ? undefined : `its size (${bytes.length} bytes) is not what its header describes (${dataEnd + headerLength + TRAILER})`;
}
