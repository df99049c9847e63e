// Verify: quick checks that snapshots, trees and the index agree and that every referenced pack
// exists; standard also reads every referenced pack's header and compares it with the index;
// deep also reads, opens, decompresses and hashes every referenced blob (or a random share of
// the packs, or subset n/t of them: core/packSubset.ts). A whole-repository verify checks what
// journal segments name too. Each problem names the snapshots (or segments) and paths it affects.

import { BlobReader } from './blobReader.js';
import { decodeBlob } from './blobCodec.js';
import { isDamage } from './damage.js';
import { invalidArgument } from './errors.js';
import { BlobLocation, MasterIndex } from './masterIndex.js';
import { readPackHeader } from './packFormat.js';
import { checkSubset, inSubset, PackSubset } from './packSubset.js';
import { packsBeingPruned } from './prunePlan.js';
import { Repository } from './repository.js';
import { listSnapshots, resolveSnapshot, Snapshot } from './snapshots.js';
import { readJournalFiles } from './journalSegments.js';
import type { VerifyLevel } from './optionChoices.js';

export { VERIFY_LEVELS, type VerifyLevel } from './optionChoices.js';

export interface Problem {
  kind: 'missing-pack' | 'truncated-pack' | 'missing-blob' | 'pack-header' | 'damaged-blob' | 'damaged-tree' | 'damaged-snapshot' | 'damaged-index' | 'damaged-journal';
  message: string;
  pack?: string;
  blob?: string;
  snapshot?: string;
  /** A journal segment whose file is damaged or names a missing or damaged blob. */
  segment?: string;
  path?: string;
}

export interface VerifyOptions {
  snapshot?: string;
  level: VerifyLevel;
  samplePercent?: number;
  /** With level deep: read only the packs of this subset (restic's --read-data-subset n/t). */
  subset?: PackSubset;
  /**
   * With level deep: which of the packs to read, chosen from the candidates (the referenced packs
   * that exist, of the subset when one is given), sorted by id; the scrub resumes and keeps to its
   * byte budget with it.
   */
  choosePacks?: (candidates: PackCandidate[]) => string[];
  onProgress?: (progress: VerifyProgress) => void;
  /** Checked before each snapshot and each pack: a canceled verify stops there. */
  signal?: AbortSignal;
}

export interface PackCandidate {
  id: string;
  size: number;
}

export interface VerifyProgress {
  phase: 'trees' | 'packs';
  done: number;
  total: number;
}

export interface VerifyReport {
  level: VerifyLevel;
  ok: boolean;
  checked: { snapshots: number; packs: number; blobs: number; bytes: number };
  problems: Problem[];
  /** The subset of packs read, when one was asked for. */
  subset?: PackSubset;
}

/** Problems beyond this many are counted in the last message rather than listed. */
const MAX_PROBLEMS = 200;

export async function verify(repo: Repository, options: VerifyOptions): Promise<VerifyReport> {
  checkPackSelection(options);
  const problems: Problem[] = [];
  const checked = { snapshots: 0, packs: 0, blobs: 0, bytes: 0 };
  const index = await loadIndexReportingDamage(repo, problems);
  const reader = new BlobReader(repo, index);
  const snapshots = await selectSnapshots(repo, options.snapshot, problems);

  // Which blobs the selected snapshots reference, with one path that uses each.
  const referenced = new Map<string, Where>();
  for (const snap of snapshots) {
    options.signal?.throwIfAborted();
    checked.snapshots += 1;
    await walkTree(reader, snap, snap.tree, '', referenced, problems);
    options.onProgress?.({ phase: 'trees', done: checked.snapshots, total: snapshots.length });
  }

  // A whole-repository verify checks the journal segments' content too.
  if (options.snapshot === undefined) await referenceJournal(repo, index, referenced, problems);

  const existing = new Map<string, number>();
  for await (const entry of repo.storage.list('data')) existing.set(entry.name, entry.size);
  const byPack = new Map<string, [string, BlobLocation][]>();
  for (const id of referenced.keys()) {
    const loc = index.get(id);
    if (!loc) continue; // reported by walkTree
    let list = byPack.get(loc.pack);
    if (!list) byPack.set(loc.pack, (list = []));
    list.push([id, loc]);
  }
  const affected = (ids: string[]) => ids.map((id) => referenced.get(id)).find(Boolean);

  // Quick verify checks that every referenced pack exists; the other levels also read each one.
  if (options.level === 'quick') checked.packs = byPack.size;
  for (const [pack, blobs] of byPack) {
    const size = existing.get(pack);
    const where = affected(blobs.map(([id]) => id));
    if (size === undefined) {
      problems.push({ kind: 'missing-pack', pack, ...where, message: `pack ${short(pack)} is missing; ${blobs.length} referenced blobs are lost (first affected: ${describe(where)})` });
    } else if (size < packEnd(blobs)) {
      problems.push({ kind: 'truncated-pack', pack, ...where, message: `pack ${short(pack)} is truncated to ${size} bytes; the index places blobs up to byte ${packEnd(blobs)} (first affected: ${describe(where)})` });
    }
  }
  if (options.level !== 'quick') {
    const packs = packsToRead([...byPack.keys()].filter((p) => existing.has(p)), existing, options);
    let done = 0;
    for (const pack of packs) {
      options.signal?.throwIfAborted();
      await checkPack(repo, pack, existing.get(pack)!, byPack.get(pack)!, options.level === 'deep', referenced, problems, checked);
      options.onProgress?.({ phase: 'packs', done: ++done, total: packs.length });
    }
  }
  const report: VerifyReport = { level: options.level, ok: problems.length === 0, checked, problems: capped(problems) };
  return options.subset ? { ...report, subset: options.subset } : report;
}

/** A subset, a sample or a choice of packs only make sense when pack data is read, and one at a time. */
function checkPackSelection(options: VerifyOptions): void {
  const selections = [options.subset && 'a subset', options.samplePercent !== undefined && 'a sample percentage', options.choosePacks && 'a choice'].filter(Boolean);
  if (selections.length > 0 && options.level !== 'deep') throw invalidArgument(`${selections[0]} of packs to read needs level deep (got ${options.level})`);
  if (options.subset && options.samplePercent !== undefined) throw invalidArgument('verify reads either a subset of the packs or a sample percentage, not both');
  if (options.subset) checkSubset(options.subset);
}

/** The packs a standard or deep verify reads, of the referenced packs that exist. */
function packsToRead(packs: string[], sizes: Map<string, number>, options: VerifyOptions): string[] {
  if (options.level !== 'deep') return packs;
  const subset = options.subset;
  const candidates = subset ? packs.filter((p) => inSubset(p, subset)) : samplePacks(packs, options.samplePercent);
  if (!options.choosePacks) return candidates;
  return options.choosePacks(candidates.sort().map((id) => ({ id, size: sizes.get(id)! })));
}

/** Loads the index files that can be read, reporting each damaged one. */
async function loadIndexReportingDamage(repo: Repository, problems: Problem[]): Promise<MasterIndex> {
  // Condemned packs of a prune in progress come last: a blob is checked where it will stay.
  return MasterIndex.load(repo, {
    onDamaged: (name, err) => problems.push({ kind: 'damaged-index', message: `index file ${short(name)}: ${err.message}` }),
    demotePacks: await packsBeingPruned(repo),
  });
}

/** The snapshots to check, reporting each damaged snapshot file. */
async function selectSnapshots(repo: Repository, ref: string | undefined, problems: Problem[]): Promise<Snapshot[]> {
  const onDamaged = (id: string, err: Error) => problems.push({ kind: 'damaged-snapshot', snapshot: id, message: `snapshot ${short(id)}: ${err.message}` });
  if (ref === undefined) return listSnapshots(repo, { onDamaged });
  return [resolveSnapshot(await listSnapshots(repo, { prefix: ref === 'latest' ? undefined : ref, onDamaged }), ref)];
}

async function walkTree(
  reader: BlobReader,
  snap: Snapshot,
  treeId: string,
  dir: string,
  referenced: Map<string, Where>,
  problems: Problem[],
): Promise<void> {
  const where = { snapshot: snap.id, path: dir || '/' };
  if (!referenced.has(treeId)) referenced.set(treeId, where);
  if (!reader.index.has(treeId)) {
    problems.push({ kind: 'missing-blob', blob: treeId, ...where, message: `tree ${short(treeId)} of ${where.path} in snapshot ${short(snap.id)} is not in the index` });
    return;
  }
  let nodes;
  try {
    nodes = (await reader.tree(treeId)).nodes;
  } catch (err) {
    if (!isDamage(err)) throw err;
    const pack = reader.index.get(treeId)!.pack;
    problems.push({ kind: 'damaged-tree', pack, blob: treeId, ...where, message: `tree ${short(treeId)} of ${where.path} in snapshot ${short(snap.id)} cannot be read: ${(err as Error).message}` });
    return;
  }
  for (const node of nodes) {
    const path = dir ? `${dir}/${node.name}` : node.name;
    if (node.type === 'dir' && node.subtree) await walkTree(reader, snap, node.subtree, path, referenced, problems);
    for (const id of node.content ?? []) {
      if (!referenced.has(id)) referenced.set(id, { snapshot: snap.id, path });
      if (!reader.index.has(id)) problems.push({ kind: 'missing-blob', blob: id, snapshot: snap.id, path, message: `${path} in snapshot ${short(snap.id)} references blob ${short(id)}, which is not in the index` });
    }
  }
}

async function checkPack(
  repo: Repository,
  pack: string,
  size: number,
  blobs: [string, BlobLocation][],
  deep: boolean,
  referenced: Map<string, Where>,
  problems: Problem[],
  checked: VerifyReport['checked'],
): Promise<void> {
  checked.packs += 1;
  let header;
  try {
    header = new Map((await readPackHeader(repo.storage, repo.keys, pack, size)).map((e) => [e.id, e]));
  } catch (err) {
    if (!isDamage(err)) throw err;
    const where = referenced.get(blobs[0]![0]);
    problems.push({ kind: 'pack-header', pack, ...where, message: `pack ${short(pack)}: ${(err as Error).message} (first affected: ${describe(where)})` });
    header = undefined;
  }
  const whole = deep ? await repo.storage.get({ type: 'data', name: pack }).catch(() => undefined) : undefined;
  for (const [id, loc] of blobs) {
    const where = referenced.get(id);
    const entry = header?.get(id);
    if (header && (!entry || entry.offset !== loc.offset || entry.length !== loc.length || entry.codec !== loc.codec)) {
      problems.push({ kind: 'pack-header', pack, blob: id, ...where, message: `pack ${short(pack)} header disagrees with the index about blob ${short(id)} (${describe(where)})` });
    }
    if (!deep) continue;
    checked.blobs += 1;
    checked.bytes += loc.length;
    try {
      const stored = whole ? whole.subarray(loc.offset, loc.offset + loc.length) : await repo.storage.get({ type: 'data', name: pack }, { offset: loc.offset, length: loc.length });
      decodeBlob(repo.keys, { id, codec: loc.codec, rawLength: loc.rawLength }, stored);
    } catch (err) {
      // A transient storage error is not damage: rethrown, so the activity retries.
      if (!isDamage(err)) throw err;
      problems.push({ kind: 'damaged-blob', pack, blob: id, ...where, message: `blob ${short(id)} in pack ${short(pack)} is damaged; it holds data of ${describe(where)}` });
    }
  }
}

/** The least size a pack can have: past its last indexed blob, at least the header's length field. */
function packEnd(blobs: [string, BlobLocation][]): number {
  return Math.max(...blobs.map(([, loc]) => loc.offset + loc.length)) + 4;
}

function samplePacks(packs: string[], percent: number | undefined): string[] {
  if (percent === undefined || percent >= 100) return packs;
  const count = Math.max(1, Math.ceil((packs.length * percent) / 100));
  const shuffled = [...packs];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled.slice(0, count);
}

function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - MAX_PROBLEMS;
  return [...problems.slice(0, MAX_PROBLEMS), { kind: problems[MAX_PROBLEMS]!.kind, message: `and ${rest} more problems` }];
}

/** Where a blob is used: a path in a snapshot or in a journal segment. */
type Where = { snapshot: string; path: string } | { segment: string; path: string };

function describe(where: Where | undefined): string {
  if (!where) return 'no snapshot';
  return 'segment' in where ? `${where.path} in journal segment ${short(where.segment)}` : `${where.path} in snapshot ${short(where.snapshot)}`;
}

/** Adds the blobs journal segments name to `referenced`, reporting damaged segment files and blobs missing from the index. */
async function referenceJournal(repo: Repository, index: MasterIndex, referenced: Map<string, Where>, problems: Problem[]): Promise<void> {
  const onDamaged = (id: string, err: Error) => problems.push({ kind: 'damaged-journal', segment: id, message: `journal segment ${short(id)}: ${err.message}` });
  for (const file of await readJournalFiles(repo, onDamaged)) {
    for (const { path, node } of file.entries) {
      for (const id of node.content ?? []) {
        if (!referenced.has(id)) referenced.set(id, { segment: file.id, path });
        if (!index.has(id)) problems.push({ kind: 'missing-blob', blob: id, segment: file.id, path, message: `${path} in journal segment ${short(file.id)} references blob ${short(id)}, which is not in the index` });
      }
    }
  }
}

function short(id: string): string {
  return id.slice(0, 12);
}
