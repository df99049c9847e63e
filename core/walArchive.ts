// Archived PostgreSQL WAL files: one repository file of type 'wal' per WAL file, named
// `<cluster>.<walFileName>`, holding the file compressed and sealed like the repository's other
// files, with the SHA-256 of its plain bytes so that a second push can tell a repeat from a conflict.
// A put is atomic (storage contract): a push killed midway leaves the file absent, never truncated.

import { createHash } from 'node:crypto';
import { compressBlob, decompressBlob } from './compression.js';
import { integrityError, invalidArgument, RepositoryError } from './errors.js';
import { assertClusterName, CLUSTER_NAME } from './pgCluster.js';
import { Repository } from './repository.js';
import { isNotFound } from '../storage/storage.js';

// Plain layout: magic "MWAL1", codec id (1 byte), plain length (uint32 BE), SHA-256 of the plain bytes, compressed bytes.
const MAGIC = Buffer.from('MWAL1');
const HEADER_LENGTH = MAGIC.length + 1 + 4 + 32;

/** A segment, a timeline history file, a backup label, or a promoted standby's last partial segment. */
const WAL_FILE_NAME = /^(?:[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/;

export interface ArchivedWal {
  walName: string;
  size: number;
  pushedAt: Date;
}

export async function pushWal(repo: Repository, input: { cluster: string; walName: string; bytes: Uint8Array }): Promise<'stored' | 'already-stored'> {
  const handle = walHandle(input.cluster, input.walName);
  const digest = sha256(input.bytes);
  const existing = await readArchived(repo, input.cluster, input.walName);
  if (existing) {
    if (existing.digest.equals(digest)) return 'already-stored';
    throw new RepositoryError('integrity', `[wal] ${input.walName} of cluster ${input.cluster} is already archived with different content; refusing to replace it`);
  }
  const { codec, bytes } = compressBlob(input.bytes, repo.config.compression, repo.config.compressionLevel);
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt8(codec, MAGIC.length);
  header.writeUInt32BE(input.bytes.length, MAGIC.length + 1);
  digest.copy(header, MAGIC.length + 5);
  await repo.assertKeysCurrent(); // no lock is taken: a rotation begun since the open must not get a file sealed under its retired key
  await repo.storage.put(handle, repo.sealFile(Buffer.concat([header, bytes])));
  return 'stored';
}

/** The WAL file's bytes, or undefined when it is not archived. */
export async function fetchWal(repo: Repository, input: { cluster: string; walName: string }): Promise<Uint8Array | undefined> {
  return (await readArchived(repo, input.cluster, input.walName))?.bytes;
}

/** Every archived WAL file of `cluster`, in name order (byte order: timeline, then position); size is the stored size. */
export async function listWal(repo: Repository, cluster: string): Promise<ArchivedWal[]> {
  assertClusterName(cluster);
  const prefix = `${cluster}.`;
  const out: ArchivedWal[] = [];
  for await (const entry of repo.storage.list('wal')) {
    if (entry.name.startsWith(prefix)) out.push({ walName: entry.name.slice(prefix.length), size: entry.size, pushedAt: entry.mtime });
  }
  return out.sort((a, b) => (a.walName < b.walName ? -1 : a.walName > b.walName ? 1 : 0));
}

/** Removes one archived WAL file (retention); one already gone is no error. */
export async function deleteWal(repo: Repository, input: { cluster: string; walName: string }): Promise<void> {
  try {
    await repo.storage.delete(walHandle(input.cluster, input.walName));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function isWalFileName(name: string): boolean {
  return WAL_FILE_NAME.test(name);
}

/** A stored name `<cluster>.<walName>` (cluster names have no "."). */
export function isArchivedWalName(name: string): boolean {
  const dot = name.indexOf('.');
  return dot > 0 && CLUSTER_NAME.test(name.slice(0, dot)) && isWalFileName(name.slice(dot + 1));
}

async function readArchived(repo: Repository, cluster: string, walName: string): Promise<{ bytes: Uint8Array; digest: Buffer } | undefined> {
  const handle = walHandle(cluster, walName);
  let stored: Uint8Array;
  try {
    stored = await repo.storage.get(handle);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const what = `wal file ${handle.name}`;
  const plain = Buffer.from(repo.openFile(stored, what));
  if (plain.length < HEADER_LENGTH || !plain.subarray(0, MAGIC.length).equals(MAGIC)) throw integrityError(what, new Error('not an archived WAL file'));
  const codec = plain.readUInt8(MAGIC.length);
  const length = plain.readUInt32BE(MAGIC.length + 1);
  const digest = plain.subarray(MAGIC.length + 5, HEADER_LENGTH);
  const bytes = decompressBlob(codec, plain.subarray(HEADER_LENGTH), length);
  if (!sha256(bytes).equals(digest)) throw integrityError(what, new Error('content does not match its digest'));
  return { bytes, digest };
}

function walHandle(cluster: string, walName: string) {
  assertClusterName(cluster);
  if (!isWalFileName(walName)) throw invalidArgument(`[wal] "${walName}" is not a WAL file name`);
  return { type: 'wal' as const, name: `${cluster}.${walName}` };
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}
