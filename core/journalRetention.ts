// Which journal segments a forget removes: those of a source that end at or before its oldest
// kept snapshot (a restore to any kept time starts from that snapshot or a newer one, so they are
// never applied again). A source with no snapshot left keeps its segments.

import { readJournalFiles } from './journalSegments.js';
import { Repository } from './repository.js';
import { Snapshot } from './snapshots.js';
import { isNotFound } from '../storage/storage.js';

/**
 * Removes (unless `dryRun`) the segments of the sources `considered` accepts that end at or
 * before the oldest of `kept` (the snapshots left after the forget) of the same host and source; returns how many.
 */
export async function forgetJournalSegments(repo: Repository, kept: Snapshot[], considered: (key: { host: string; source: string }) => boolean, dryRun: boolean): Promise<number> {
  const oldest = new Map<string, number>();
  for (const s of kept) {
    const key = `${s.host}\0${s.source}`;
    const time = Date.parse(s.time);
    if (!(time >= (oldest.get(key) ?? Infinity))) oldest.set(key, time);
  }
  const removals = (await readJournalFiles(repo)).filter((f) => considered(f) && Date.parse(f.until) <= (oldest.get(`${f.host}\0${f.source}`) ?? -Infinity));
  if (!dryRun) {
    for (const f of removals) {
      await repo.storage.delete({ type: 'journal', name: f.id }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }
  return removals.length;
}
