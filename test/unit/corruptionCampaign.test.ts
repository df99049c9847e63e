// The corruption campaign: 120 seeded corruptions (truncate, zero a range, flip bytes) of the
// config, a key file, an index file, a tree pack and a data pack, each on a fresh copy of a small
// repository of three snapshots. For each: the right verify level finds it (quick: lost files,
// truncations into blobs, damaged trees and index files; standard: pack headers; deep: every
// damaged data blob), every snapshot's restore brings back every intact file byte for byte and
// reports exactly the files whose data is lost, and nothing hangs or fails with an error that is
// not a classified repository or storage error. Prints: cases, found, salvaged, hung.

import fs from 'node:fs';
import path from 'node:path';
import { BlobReader } from '../../core/blobReader';
import { verify, VerifyLevel } from '../../core/checker';
import { RepositoryError } from '../../core/errors';
import { IndexFileSchema, MasterIndex } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { restore, RestoreResult } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { StorageError } from '../../storage/storage';
import { buildSmallRepository, repositoryFiles, SMALL_REPO_PASSPHRASE, SmallRepository } from '../helpers/smallRepository';
import { describeTree, tempDir } from '../helpers/trees';

const SEED = 20261129;
const ROUNDS = 8; // × 5 targets × 3 kinds of corruption = 120 cases
const STEP_TIMEOUT_MS = 30_000;
const SECOND_PASSPHRASE = 'the other key';

type Target = 'config' | 'key' | 'index' | 'tree pack' | 'data pack';
type Kind = 'truncate' | 'zero' | 'flip';

/** mulberry32: a small seeded PRNG, so that every run makes the same corruptions. */
function prng(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** What the intact repository holds: where every blob is, which index file lists it, what each path of each snapshot needs. */
interface Facts {
  locations: Map<string, { pack: string; offset: number; length: number; type: string }[]>;
  indexFiles: Map<string, Set<string>>;
  /** Snapshot → relative path → the blobs it needs (a file's chunks; a directory's own tree). */
  paths: Map<string, Map<string, { type: string; blobs: string[] }>>;
  roots: Map<string, string>;
  keyFor: Map<string, string>;
}

async function gatherFacts(dir: string): Promise<Facts> {
  const repo = await Repository.open(new LocalStorage(dir), SMALL_REPO_PASSPHRASE);
  const index = await MasterIndex.load(repo);
  const locations = new Map<string, { pack: string; offset: number; length: number; type: string }[]>();
  for (const [id] of index.entries()) locations.set(id, index.locations(id));
  const indexFiles = new Map<string, Set<string>>();
  for await (const entry of repo.storage.list('index')) {
    const file = await repo.loadJsonFile('index', entry.name, IndexFileSchema);
    indexFiles.set(entry.name, new Set(file.packs.flatMap((p) => p.blobs.map((b) => b.id))));
  }
  const reader = new BlobReader(repo, index);
  const paths = new Map<string, Map<string, { type: string; blobs: string[] }>>();
  const roots = new Map<string, string>();
  for (const snap of await listSnapshots(repo)) {
    const out = new Map<string, { type: string; blobs: string[] }>();
    const walk = async (tree: string, rel: string) => {
      for (const node of (await reader.tree(tree)).nodes) {
        const child = rel ? `${rel}/${node.name}` : node.name;
        out.set(child, { type: node.type, blobs: node.type === 'dir' ? [node.subtree!] : (node.content ?? []) });
        if (node.type === 'dir') await walk(node.subtree!, child);
      }
    };
    await walk(snap.tree, '');
    paths.set(snap.id, out);
    roots.set(snap.id, snap.tree);
  }
  const keyFor = new Map<string, string>();
  for (const key of await repo.listKeys()) keyFor.set(key.id, key.current ? SMALL_REPO_PASSPHRASE : SECOND_PASSPHRASE);
  return { locations, indexFiles, paths, roots, keyFor };
}

/** A corruption applied to a copy: which file, how, and the blobs it makes unreadable. */
interface Corruption {
  target: Target;
  kind: Kind;
  file: string;
  /** Blobs whose stored bytes changed or are gone. */
  lost: Set<string>;
  /** True when bytes outside every blob changed (a pack's header or trailer). */
  outsideBlobs: boolean;
}

function corrupt(bytes: Buffer, kind: Kind, random: (below: number) => number): { changed: Buffer; positions: number[]; newSize: number } {
  if (kind === 'truncate') {
    const newSize = random(bytes.length);
    return { changed: bytes.subarray(0, newSize), positions: [], newSize };
  }
  const changed = Buffer.from(bytes);
  const positions: number[] = [];
  if (kind === 'flip') {
    for (let n = 1 + random(3); n > 0; n--) {
      const at = random(bytes.length);
      changed[at] = changed[at]! ^ (1 + random(255));
    }
  } else {
    const start = random(bytes.length);
    changed.fill(0, start, Math.min(bytes.length, start + 1 + random(256)));
  }
  for (let i = 0; i < bytes.length; i++) if (changed[i] !== bytes[i]) positions.push(i);
  return { changed, positions, newSize: bytes.length };
}

/** Runs a step with a deadline; a step still running then counts as hung. */
async function bounded<T>(step: () => Promise<T>): Promise<{ value?: T; error?: unknown; hung?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ hung: true }>((resolve) => (timer = setTimeout(() => resolve({ hung: true }), STEP_TIMEOUT_MS)));
  try {
    return await Promise.race([step().then((value) => ({ value }), (error: unknown) => ({ error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

const classified = (err: unknown) => err instanceof RepositoryError || err instanceof StorageError;

/** The paths of a snapshot that cannot come back: those needing a lost blob, and everything under a lost directory. */
function expectedDamage(facts: Facts, snapshot: string, lost: Set<string>): { root: boolean; paths: Set<string> } {
  const damaged = new Set<string>();
  if (lost.has(facts.roots.get(snapshot)!)) return { root: true, paths: damaged };
  const entries = facts.paths.get(snapshot)!;
  for (const [rel, entry] of entries) {
    if (entry.blobs.some((b) => lost.has(b))) damaged.add(rel);
  }
  return { root: false, paths: damaged };
}

describe('corruption campaign', () => {
  let built: SmallRepository;
  let facts: Facts;

  beforeAll(async () => {
    built = await buildSmallRepository();
    await (await Repository.open(new LocalStorage(built.dir), SMALL_REPO_PASSPHRASE)).addKey(SECOND_PASSPHRASE);
    facts = await gatherFacts(built.dir);
  });

  test(`${ROUNDS * 15} seeded corruptions are found, salvaged around, and never hang or crash`, async () => {
    const random = prng(SEED);
    const figures = { cases: 0, found: 0, harmless: 0, salvaged: 0, salvageable: 0, hung: 0, unclassified: 0 };
    const failures: string[] = [];
    const foundBy = new Map<string, number>();
    const packsOf = (type: string) => [...new Set([...facts.locations.values()].flat().filter((l) => l.type === type).map((l) => l.pack))].sort();
    const targets: Record<Target, () => string[]> = {
      config: () => [path.join(built.dir, 'config')],
      key: () => repositoryFiles(built.dir, 'keys'),
      index: () => repositoryFiles(built.dir, 'index'),
      'tree pack': () => repositoryFiles(built.dir, 'data').filter((f) => packsOf('tree').includes(path.basename(f))),
      'data pack': () => repositoryFiles(built.dir, 'data').filter((f) => packsOf('data').includes(path.basename(f))),
    };

    for (let round = 0; round < ROUNDS; round++) {
      for (const target of Object.keys(targets) as Target[]) {
        for (const kind of ['truncate', 'zero', 'flip'] as Kind[]) {
          figures.cases += 1;
          const candidates = targets[target]();
          const original = candidates[random(candidates.length)]!;
          const dir = tempDir('campaign');
          fs.cpSync(built.dir, dir, { recursive: true });
          const file = path.join(dir, path.relative(built.dir, original));
          const bytes = fs.readFileSync(file);
          const { changed, positions, newSize } = corrupt(bytes, kind, random);
          fs.writeFileSync(file, changed);
          const corruption = describeCorruption(facts, target, kind, file, positions, newSize, bytes.length);
          const label = `case ${figures.cases} (${kind} ${target} ${path.basename(file).slice(0, 12)}${kind === 'truncate' ? ` to ${newSize} of ${bytes.length}` : ` at ${positions.slice(0, 3).join(',')}`})`;
          const outcome = await runCase(dir, corruption);
          if (outcome.hung) figures.hung += 1;
          if (outcome.unclassified) figures.unclassified += 1;
          if (outcome.found) figures.found += 1;
          if (outcome.foundBy) foundBy.set(`${target} by ${outcome.foundBy}`, (foundBy.get(`${target} by ${outcome.foundBy}`) ?? 0) + 1);
          if (outcome.harmless) figures.harmless += 1;
          if (outcome.salvageable) figures.salvageable += 1;
          if (outcome.salvaged) figures.salvaged += 1;
          if (outcome.problem) failures.push(`${label}: ${outcome.problem}`);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    process.stdout.write(
      `corruption campaign (seed ${SEED}): cases ${figures.cases}, found ${figures.found} (+${figures.harmless} that changed nothing readable), ` +
        `salvaged ${figures.salvaged} of ${figures.salvageable} that could be opened, hung ${figures.hung}, unclassified errors ${figures.unclassified}\n` +
        `found: ${[...foundBy].map(([what, n]) => `${what} ${n}`).join(', ')}\n`,
    );
    expect(failures).toEqual([]);
    expect(figures).toMatchObject({ hung: 0, unclassified: 0 });
    expect(figures.found + figures.harmless).toBe(figures.cases);
    expect(figures.salvaged).toBe(figures.salvageable);
    expect(figures.cases).toBeGreaterThanOrEqual(100);
  });

  interface Outcome {
    found?: boolean;
    /** What found it: opening the repository, or a verify level. */
    foundBy?: 'open' | VerifyLevel;
    harmless?: boolean;
    salvageable?: boolean;
    salvaged?: boolean;
    hung?: boolean;
    unclassified?: boolean;
    problem?: string;
  }

  /** Opens, verifies at every level and restores every snapshot of a corrupted copy, checking each result. */
  async function runCase(dir: string, corruption: Corruption): Promise<Outcome> {
    const outcome: Outcome = {};
    const fail = (problem: string) => {
      outcome.problem ??= problem;
      return outcome;
    };
    const step = async <T>(what: string, run: () => Promise<T>): Promise<{ value?: T; error?: unknown } | undefined> => {
      const result = await bounded(run);
      if (result.hung) {
        outcome.hung = true;
        fail(`${what} hung`);
        return undefined;
      }
      if (result.error !== undefined && !classified(result.error)) {
        outcome.unclassified = true;
        fail(`${what} failed with an unclassified error: ${String(result.error)}`);
        return undefined;
      }
      return result;
    };

    // A damaged key file is skipped for the other key; the passphrase of the damaged one no longer opens.
    const passphrase = corruption.target === 'key' ? facts.keyFor.get(path.basename(corruption.file))! : SMALL_REPO_PASSPHRASE;
    const opened = await step('open', () => Repository.open(new LocalStorage(dir), passphrase));
    if (!opened) return outcome;
    if (corruption.target === 'config' || corruption.target === 'key') {
      if (opened.error !== undefined) {
        outcome.found = true;
        outcome.foundBy = 'open';
      }
      const other = corruption.target === 'key' ? facts.keyFor.get(path.basename(corruption.file)) === SMALL_REPO_PASSPHRASE ? SECOND_PASSPHRASE : SMALL_REPO_PASSPHRASE : undefined;
      if (corruption.target === 'config' && opened.error !== undefined) return outcome; // nothing opens without the config
      const reopened = other ? await step('open with the other key', () => Repository.open(new LocalStorage(dir), other)) : opened;
      if (!reopened) return outcome;
      if (reopened.error !== undefined) return fail(`the other key does not open the repository: ${String(reopened.error)}`);
      const repo = reopened.value!;
      if (!outcome.found) {
        // The change touched nothing that is read (say, the host name in a key file).
        const deep = await step('verify deep', () => verify(repo, { level: 'deep' }));
        if (deep?.value?.ok) outcome.harmless = true;
        else return fail('a corruption the repository opened through was not harmless');
      }
      return checkRestores(repo, corruption, outcome, step, fail);
    }
    if (opened.error !== undefined) return fail(`the repository does not open: ${String(opened.error)}`);
    const repo = opened.value!;

    const level = expectedLevel(corruption);
    if (level === undefined) {
      outcome.harmless = true;
    } else {
      const report = await step(`verify ${level}`, () => verify(repo, { level }));
      if (!report) return outcome;
      if (report.error !== undefined) return fail(`verify ${level} failed: ${String(report.error)}`);
      if (report.value!.ok) return fail(`verify ${level} found nothing`);
      outcome.found = true;
      outcome.foundBy = level;
    }
    return checkRestores(repo, corruption, outcome, step, fail);
  }

  async function checkRestores(
    repo: Repository,
    corruption: Corruption,
    outcome: Outcome,
    step: <T>(what: string, run: () => Promise<T>) => Promise<{ value?: T; error?: unknown } | undefined>,
    fail: (problem: string) => Outcome,
  ): Promise<Outcome> {
    outcome.salvageable = true;
    for (const [snapshot, source] of built.sources) {
      const target = tempDir('campaign-restore');
      const restored = await step(`restore ${snapshot.slice(0, 8)}`, () => restore(repo, snapshot, { target, threads: snapshot === [...built.sources.keys()][0] ? 2 : 0 }));
      if (!restored) return outcome;
      if (restored.error !== undefined) return fail(`restore of ${snapshot.slice(0, 8)} failed: ${String(restored.error)}`);
      const problem = compareSalvage(source, target, restored.value!, expectedDamage(facts, snapshot, corruption.lost));
      fs.rmSync(target, { recursive: true, force: true });
      if (problem) return fail(`restore of ${snapshot.slice(0, 8)}: ${problem}`);
    }
    outcome.salvaged = true;
    return outcome;
  }
});

/** Which blobs a corruption makes unreadable, from the intact repository's facts. */
function describeCorruption(facts: Facts, target: Target, kind: Kind, file: string, positions: number[], newSize: number, size: number): Corruption {
  const lost = new Set<string>();
  let outsideBlobs = false;
  if (target === 'index') {
    const listed = facts.indexFiles.get(path.basename(file))!;
    const elsewhere = new Set([...facts.indexFiles].filter(([name]) => name !== path.basename(file)).flatMap(([, ids]) => [...ids]));
    for (const id of listed) if (!elsewhere.has(id)) lost.add(id);
  } else if (target === 'tree pack' || target === 'data pack') {
    const pack = path.basename(file);
    let blobsEnd = 0;
    for (const [id, locations] of facts.locations) {
      for (const loc of locations.filter((l) => l.pack === pack)) {
        blobsEnd = Math.max(blobsEnd, loc.offset + loc.length);
        const cut = loc.offset + loc.length > newSize;
        const hit = positions.some((p) => p >= loc.offset && p < loc.offset + loc.length);
        if ((cut || hit) && locations.length === 1) lost.add(id);
      }
    }
    outsideBlobs = newSize < size || positions.some((p) => p >= blobsEnd);
  }
  return { target, kind, file, lost, outsideBlobs };
}

/** The least verify level that must find a pack or index corruption (undefined: nothing readable changed). */
function expectedLevel(c: Corruption): VerifyLevel | undefined {
  if (c.target === 'index') return 'quick';
  // Quick reads every tree, and compares pack sizes with the blobs the index places in them.
  if (c.lost.size > 0 && (c.target === 'tree pack' || c.kind === 'truncate')) return 'quick';
  if (c.lost.size > 0) return 'deep';
  if (c.outsideBlobs) return 'standard';
  return undefined;
}

/**
 * Every intact entry restored exactly; every lost one absent and reported (a file by its path, a
 * directory whose tree is lost by "dir/", the whole snapshot by "/"); nothing intact reported.
 */
function compareSalvage(source: string, target: string, result: RestoreResult, expected: { root: boolean; paths: Set<string> }): string | undefined {
  const reported = new Set(result.damaged.map((d) => d.path));
  if (result.filesDamaged !== result.damaged.length) return 'more damaged entries than listed (the campaign expects a short list)';
  if (expected.root) return reported.size === 1 && reported.has('/') && describeTree(target).size === 0 ? undefined : `a lost root tree was not reported as "/": ${[...reported].join(', ')}`;
  const want = describeTree(source);
  const lostDirs = [...expected.paths].filter((rel) => want.get(rel)?.type === 'dir');
  const underLostDir = (rel: string) => lostDirs.some((d) => rel.startsWith(`${d}/`));
  for (const rel of [...want.keys()]) {
    if (underLostDir(rel) || (expected.paths.has(rel) && want.get(rel)!.type === 'file')) want.delete(rel);
  }
  const wantReported = new Set([...expected.paths].filter((rel) => !underLostDir(rel)).map((rel) => (want.get(rel)?.type === 'dir' ? `${rel}/` : rel)));
  const missingReports = [...wantReported].filter((r) => !reported.has(r));
  const extraReports = [...reported].filter((r) => !wantReported.has(r));
  if (missingReports.length || extraReports.length) return `reported ${[...reported].join(', ') || 'nothing'}; expected ${[...wantReported].join(', ') || 'nothing'}`;
  const got = describeTree(target);
  for (const [rel, facts] of want) {
    const actual = got.get(rel);
    if (!actual) return `${rel} is intact but was not restored`;
    if (JSON.stringify(actual) !== JSON.stringify(facts)) return `${rel} differs from the source`;
  }
  for (const rel of got.keys()) if (!want.has(rel)) return `${rel} was restored although its data is lost`;
  return undefined;
}
