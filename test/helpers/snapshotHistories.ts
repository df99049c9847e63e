// Snapshot histories and packs written straight through core, without backing anything up:
// manifests with given times, hosts, sources and tags, and packs of one small blob each that no
// snapshot uses, for tests of forget, prune and workflow history at scale (10,000 snapshots or
// 50,000 packs in seconds). Snapshot tree ids are `tree` (by default one that does not exist): such
// a repository is fit for forget, not for restore or prune.

import fs from 'node:fs';
import path from 'node:path';
import { encodeBlob } from '../../core/blobCodec';
import { IndexWriter } from '../../core/masterIndex';
import { PackBuilder } from '../../core/packFormat';
import { Repository } from '../../core/repository';
import { saveSnapshot } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { Handle, objectPath } from '../../storage/storage';

/**
 * A local repository's storage that writes in place without fsync: sets up a history of 10,000
 * files in a second or two instead of ten or more. Only for building test repositories, which the code
 * under test then opens with the real LocalStorage.
 */
export class UnsyncedLocalStorage extends LocalStorage {
  constructor(private readonly dir: string) {
    super(dir);
  }

  private readonly folders = new Set<string>();

  override async put(h: Handle, data: Uint8Array): Promise<void> {
    const file = path.join(this.dir, objectPath(h));
    const folder = path.dirname(file);
    if (!this.folders.has(folder)) fs.mkdirSync(folder, { recursive: true });
    this.folders.add(folder);
    // Synchronous: for thousands of small files, cheaper than a trip through the thread pool each.
    fs.writeFileSync(file, data, { mode: 0o600 });
  }
}

export interface SyntheticSnapshot {
  time: string;
  host?: string;
  source?: string;
  tags?: string[];
}

const NO_TREE = '0'.repeat(64);
const EMPTY_STATS = { files: 0, dirs: 1, bytes: 0, filesNew: 0, filesChanged: 0, filesUnmodified: 0, bytesRead: 0, bytesAdded: 0, bytesStored: 0 };

/** Saves one manifest per entry (32 at a time) and returns their ids, in the order given. */
export async function writeSnapshots(repo: Repository, snapshots: SyntheticSnapshot[], tree = NO_TREE): Promise<string[]> {
  const ids: string[] = new Array(snapshots.length);
  let next = 0;
  const saveSome = async () => {
    while (next < snapshots.length) {
      const i = next++;
      const { time, host = 'host-a', source = '/data', tags = [] } = snapshots[i]!;
      ids[i] = await saveSnapshot(repo, { version: 1, time, host, source, type: 'full', parent: null, tags, excludes: [], tree, stats: EMPTY_STATS });
    }
  };
  await Promise.all(Array.from({ length: 32 }, saveSome));
  return ids;
}

/** `count` snapshot times, one every `stepHours` hours back from `newest`, newest last. */
export function hourlyTimes(count: number, newest: string, stepHours = 1): string[] {
  const end = Date.parse(newest);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * stepHours * 3_600_000).toISOString());
}

/** Writes `count` packs of one small data blob each, indexed in files of `packsPerIndexFile` packs; returns their total size. */
export async function writeUnusedPacks(repo: Repository, count: number, packsPerIndexFile = 1000): Promise<number> {
  const index = new IndexWriter(repo, packsPerIndexFile);
  const settings = { keys: repo.keys, compression: 'none', compressionLevel: 'default' } as const;
  let bytes = 0;
  let next = 0;
  const writeSome = async () => {
    while (next < count) {
      const builder = new PackBuilder(Buffer.alloc(256));
      builder.add(encodeBlob(settings, 'data', Buffer.from(`unused blob ${next++}`)));
      const pack = builder.finish(repo.keys);
      await repo.storage.put({ type: 'data', name: pack.id }, pack.bytes);
      bytes += pack.bytes.length;
      await index.add({ id: pack.id, blobs: pack.blobs });
    }
  };
  await Promise.all(Array.from({ length: 32 }, writeSome));
  await index.flush();
  return bytes;
}
