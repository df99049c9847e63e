// Snapshot histories written straight through core, without backing anything up: manifests with
// given times, hosts, sources and tags, for tests of forget and of workflow history at scale
// (10,000 snapshots in seconds). Their tree ids are `tree` (by default one that does not exist):
// such a repository is fit for forget, not for restore or prune.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { saveSnapshot } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { Handle, objectPath } from '../../storage/storage';

/**
 * A local repository's storage that writes in place without fsync: sets up a history of 10,000
 * files in about a second instead of ten. Only for building test repositories, which the code
 * under test then opens with the real LocalStorage.
 */
export class UnsyncedLocalStorage extends LocalStorage {
  constructor(private readonly dir: string) {
    super(dir);
  }

  override async put(h: Handle, data: Uint8Array): Promise<void> {
    const file = path.join(this.dir, objectPath(h));
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, data, { mode: 0o600 });
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
