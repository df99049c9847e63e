// A key rotation's second half: every repository file other than packs, keys and the config that
// is still sealed under a retired key is sealed again under the current one. Files named by the
// SHA-256 of their stored bytes (snapshots, journal segments) get a new name: the copy is written
// first and the old file deleted after, and a copy that a killed run already wrote is recognised
// by its content, so a rerun makes no second one. A snapshot's parent and its ransomware-alert
// acknowledgment follow it to its new id. Files named otherwise (WAL segments, lock-folder
// documents, acknowledgments) are replaced in place; the index is rewritten whole. A dry run
// only counts what is left.

import { createHash } from 'node:crypto';
import { MasterKeys, openTelling } from './crypto.js';
import { RepositoryError } from './errors.js';
import { consolidateIndex } from './indexConsolidation.js';
import { jsonBytes, Repository } from './repository.js';
import { FileType, undefinedIfNotFound } from '../storage/storage.js';

export interface ResealCounts {
  snapshots: number;
  journal: number;
  wal: number;
  locks: number;
  alerts: number;
  index: number;
}

/** Counts of a run that sealed nothing again. */
export function noReseals(): ResealCounts {
  return { snapshots: 0, journal: 0, wal: 0, locks: 0, alerts: 0, index: 0 };
}

export interface ResealOptions {
  /** Count the files still sealed under a retired key; write nothing. */
  dryRun?: boolean;
  /** The run's own lock file, left alone. */
  ownLock?: string;
  /** Called before each write or delete (a lock check). */
  beforeChange?: () => void;
  signal?: AbortSignal;
  onFile?: (type: FileType, done: number) => void;
}

/** How files named by their bytes are sealed again. */
interface RenamedKind {
  /** What a copy under the current key shares with the original. */
  identity: (plain: Uint8Array) => string;
  /** The content of the copy, given the snapshots renamed so far. */
  rewrite?: (plain: Uint8Array, newIds: ReadonlyMap<string, string>) => Uint8Array;
  /** Files are sealed again in the order of this key. */
  order?: (plain: Uint8Array) => string;
}

interface StoredFile {
  name: string;
  plain: Uint8Array;
  current: boolean;
}

export async function resealFiles(repo: Repository, options: ResealOptions = {}): Promise<ResealCounts> {
  const keys = repo.keys;
  const counts = noReseals();
  if (!keys || !repo.rotating) return counts;
  const run = new Resealing(repo, keys, options);
  counts.snapshots = await run.renamed('snapshots', { identity: snapshotIdentity, rewrite: withParentRenamed, order: snapshotTime });
  counts.journal = await run.renamed('journal', { identity: digest });
  for (const type of ['wal', 'locks', 'alerts'] as const) counts[type] = await run.inPlace(type);
  counts.alerts += run.acknowledgmentsMoved;
  counts.index = await run.index();
  return counts;
}

class Resealing {
  /** Snapshot ids sealed again in this run: old → new. */
  private readonly newIds = new Map<string, string>();
  private done = 0;
  acknowledgmentsMoved = 0;

  constructor(
    private readonly repo: Repository,
    private readonly keys: MasterKeys,
    private readonly options: ResealOptions,
  ) {}

  /** Files named by their stored bytes: each copied under a new name (unless a copy exists), then deleted. */
  async renamed(type: 'snapshots' | 'journal', { identity, rewrite, order }: RenamedKind): Promise<number> {
    const files = await this.read(type);
    const left = files.filter((f) => !f.current);
    if (this.options.dryRun) return left.length;
    const copies = new Map(files.filter((f) => f.current).map((f) => [identity(f.plain), f.name]));
    const ordered = order ? left.map((file) => ({ file, key: order(file.plain) })).sort((a, b) => a.key.localeCompare(b.key)).map(({ file }) => file) : left;
    for (const file of ordered) {
      const plain = rewrite ? rewrite(file.plain, this.newIds) : file.plain;
      let name = copies.get(identity(plain));
      if (name === undefined) {
        const sealed = this.repo.sealNamedFile(plain);
        this.change();
        await this.repo.storage.put({ type, name: sealed.name }, sealed.stored);
        name = sealed.name;
      }
      if (type === 'snapshots') {
        this.newIds.set(file.name, name);
        await this.moveAcknowledgment(file.name, name);
      }
      this.change();
      await this.repo.storage.delete({ type, name: file.name }).catch(undefinedIfNotFound);
      this.progress(type);
    }
    return left.length;
  }

  /** Files named otherwise: replaced in place. */
  async inPlace(type: 'wal' | 'locks' | 'alerts'): Promise<number> {
    const left = (await this.read(type)).filter((f) => !f.current && f.name !== this.options.ownLock);
    if (this.options.dryRun) return left.length;
    for (const file of left) {
      this.change();
      await this.repo.storage.put({ type, name: file.name }, this.repo.sealFile(file.plain));
      this.progress(type);
    }
    return left.length;
  }

  /** The index, rewritten whole when any of its files needs a retired key. */
  async index(): Promise<number> {
    let left = 0;
    for await (const entry of this.repo.storage.list('index')) {
      this.options.signal?.throwIfAborted();
      const file = await this.readOne('index', entry.name);
      if (file && !file.current) left += 1;
    }
    if (left > 0 && !this.options.dryRun) await consolidateIndex(this.repo, { dropPacks: new Set(), beforeChange: () => this.change() });
    return left;
  }

  /** An alert's acknowledgment, filed under the snapshot's id and naming it, moves with it. */
  private async moveAcknowledgment(from: string, to: string): Promise<void> {
    const file = await this.readOne('alerts', from);
    if (!file) return;
    const acknowledgment = { ...(JSON.parse(Buffer.from(file.plain).toString('utf8')) as object), snapshot: to };
    this.change();
    await this.repo.storage.put({ type: 'alerts', name: to }, this.repo.sealFile(jsonBytes(acknowledgment)));
    this.change();
    await this.repo.storage.delete({ type: 'alerts', name: from }).catch(undefinedIfNotFound);
    this.acknowledgmentsMoved += 1;
  }

  private async read(type: FileType): Promise<StoredFile[]> {
    const names: string[] = [];
    for await (const entry of this.repo.storage.list(type)) names.push(entry.name);
    const files: StoredFile[] = [];
    for (const name of names) {
      this.options.signal?.throwIfAborted();
      const file = await this.readOne(type, name);
      if (file) files.push(file);
    }
    return files;
  }

  /**
   * A file opened under the repository's keys; undefined when it went meanwhile (a released
   * lock), or opens under none of them: damage that verify reports, not a rotation's business.
   */
  private async readOne(type: FileType, name: string): Promise<StoredFile | undefined> {
    const stored = await this.repo.storage.get({ type, name }).catch(undefinedIfNotFound);
    if (!stored) return undefined;
    try {
      return { name, ...openTelling(this.keys, stored, `${type} file ${name}`) };
    } catch (err) {
      if (err instanceof RepositoryError && err.code === 'integrity') return undefined;
      throw err;
    }
  }

  private change(): void {
    this.options.signal?.throwIfAborted();
    this.options.beforeChange?.();
  }

  private progress(type: FileType): void {
    this.options.onFile?.(type, ++this.done);
  }
}


function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A snapshot's content less its parent: what a copy under the current key shares with the original. */
function snapshotIdentity(plain: Uint8Array): string {
  return digest(jsonBytes({ ...(JSON.parse(Buffer.from(plain).toString('utf8')) as object), parent: null }));
}

/** Snapshots are sealed again oldest first, so that a parent has its new id before its children. */
function snapshotTime(plain: Uint8Array): string {
  return String((JSON.parse(Buffer.from(plain).toString('utf8')) as { time?: unknown }).time);
}

/** A snapshot naming a parent sealed again in this run names the parent's new id. */
function withParentRenamed(plain: Uint8Array, newIds: ReadonlyMap<string, string>): Uint8Array {
  const manifest = JSON.parse(Buffer.from(plain).toString('utf8')) as { parent?: unknown };
  const renamed = typeof manifest.parent === 'string' ? newIds.get(manifest.parent) : undefined;
  return renamed ? jsonBytes({ ...manifest, parent: renamed }) : plain;
}
