// Journal segments: sealed JSON files of type 'journal', one per interval of a source's change
// journal, naming what changed in the source between `from` and `until`: the new state of each
// changed entry (files with their chunk ids, like a tree node) and the paths that are gone.
// Applied in order on top of the newest snapshot before them, they give the source as of `until`.

import { z } from 'zod';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { Repository } from './repository.js';
import { TreeNodeSchema } from './tree.js';
import { isNotFound } from '../storage/storage.js';

/** A path relative to the source: '/'-separated names, none of them empty, '.' or '..'. */
const RelativePathSchema = z.string().refine((p) => p.split('/').every((n) => n !== '' && n !== '.' && n !== '..'), 'not a relative path');

export const JournalSegmentFileSchema = z.object({
  version: z.literal(1),
  source: z.string(),
  host: z.string(),
  from: z.string(),
  until: z.string(),
  /** Why this segment compared the whole tree rather than watched events (a restart, an overflow). */
  rescan: z.string().optional(),
  /** Entries as they were at `until`, sorted by path; a directory's node says nothing about its children. */
  entries: z.array(z.object({ path: RelativePathSchema, node: TreeNodeSchema })),
  /** Paths gone at `until` (with everything below them), applied before `entries`. */
  deleted: z.array(RelativePathSchema),
  /** Changed files that could not be read (denied, replaced meanwhile…): they keep their previous node, so may be stale; the next segment tries them again. */
  filesSkipped: z.number().int().positive().optional(),
});
export type JournalSegmentFile = z.infer<typeof JournalSegmentFileSchema>;

export interface JournalSegment {
  id: string;
  source: string;
  host: string;
  from: string;
  until: string;
  changed: number;
  deleted: number;
  rescan?: string;
  filesSkipped?: number;
}

/** Segment files never change (the name is the hash of the content): each is read once per repository object. */
const readSegments = new WeakMap<Repository, Map<string, JournalSegmentFile>>();

/**
 * Every segment file of the repository with its id, in no order. One deleted while listing (a
 * forget) is left out; a damaged one throws, unless `onDamaged` is given: then it is reported there and left out.
 */
export async function readJournalFiles(repo: Repository, onDamaged?: (id: string, err: Error) => void): Promise<(JournalSegmentFile & { id: string })[]> {
  let known = readSegments.get(repo);
  if (!known) readSegments.set(repo, (known = new Map()));
  const out: (JournalSegmentFile & { id: string })[] = [];
  const names: string[] = [];
  for await (const entry of repo.storage.list('journal')) names.push(entry.name);
  for (const name of names) {
    let file = known.get(name);
    if (!file) {
      try {
        file = await repo.loadJsonFile('journal', name, JournalSegmentFileSchema);
      } catch (err) {
        if (isNotFound(err)) continue;
        if (onDamaged && isDamage(err)) {
          onDamaged(name, err as Error);
          continue;
        }
        if (isDamage(err)) throw new RepositoryError('integrity', `[journal] segment ${name.slice(0, 12)} cannot be read: ${(err as Error).message}`, { cause: err });
        throw err;
      }
      known.set(name, file);
    }
    out.push({ ...file, id: name });
  }
  return out;
}

/** The segments of a source (of one host, when given), oldest first by the time they end. */
export async function listJournalFiles(repo: Repository, filter: { source: string; host?: string }): Promise<(JournalSegmentFile & { id: string })[]> {
  const files = (await readJournalFiles(repo)).filter((f) => f.source === filter.source && (filter.host === undefined || f.host === filter.host));
  return files.sort((a, b) => Date.parse(a.until) - Date.parse(b.until) || Date.parse(a.from) - Date.parse(b.from) || a.id.localeCompare(b.id));
}

export async function listJournalSegments(repo: Repository, filter: { source: string; host?: string }): Promise<JournalSegment[]> {
  return (await listJournalFiles(repo, filter)).map(segmentSummary);
}

export function segmentSummary(file: JournalSegmentFile & { id: string }): JournalSegment {
  const { id, source, host, from, until, rescan, filesSkipped } = file;
  return { id, source, host, from, until, changed: file.entries.length, deleted: file.deleted.length, ...(rescan !== undefined && { rescan }), ...(filesSkipped !== undefined && { filesSkipped }) };
}

/** Every data blob the segments name: what prune keeps for them. */
export function journalBlobs(files: JournalSegmentFile[], used: Set<string>): void {
  for (const file of files) for (const { node } of file.entries) for (const id of node.content ?? []) used.add(id);
}
