// Seeded source folders that change from backup to backup, for the prune safety trials: every file
// is built from segments of one shared pool (so files of different folders and generations share
// chunks, and a backup can bring back content that only forgotten snapshots held) plus a few
// unique bytes; each folder keeps its path (so backups find their parent) and is rewritten in
// place, unchanged files untouched. `capture` records what a backup of it must restore.

import fs from 'node:fs';
import path from 'node:path';
import { describeTree, pseudoRandomBytes } from './trees';
import { SeededRandom } from './seededRandom';

/** A file as a recipe: pool segments, with unique bytes (from `salt`) after the first one. */
interface FileRecipe {
  segments: number[];
  salt: number;
  uniqueBytes: number;
}

export type TreeFacts = ReturnType<typeof describeTree>;

/** Pseudo-random segments of 4–48 KiB, made once per seed. */
export class SegmentPool {
  private readonly made = new Map<number, Buffer>();

  constructor(
    readonly size: number,
    private readonly seed: number,
  ) {}

  segment(i: number): Buffer {
    let bytes = this.made.get(i);
    if (!bytes) {
      const length = 4096 + ((Math.imul(i + 1, 2654435761) >>> 0) % (44 * 1024));
      bytes = pseudoRandomBytes(length, this.seed * 7919 + i + 1);
      this.made.set(i, bytes);
    }
    return bytes;
  }
}

export class EvolvingSource {
  private files = new Map<string, FileRecipe>();
  private nextFile = 0;

  constructor(
    readonly dir: string,
    private readonly pool: SegmentPool,
    private readonly random: SeededRandom,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /**
   * The next state of the folder: some files dropped, some changed, new ones added (their
   * segments drawn from the whole pool, `favoured` segments twice as likely), written to disk.
   */
  evolve(favoured: number[] = []): void {
    const next = new Map<string, FileRecipe>();
    for (const [rel, recipe] of this.files) {
      const roll = this.random.float();
      if (roll < 0.2) continue;
      next.set(rel, roll < 0.4 ? { ...recipe, salt: this.random.int(1, 1e9), uniqueBytes: this.random.int(1, 6000) } : recipe);
    }
    const added = this.random.int(this.files.size === 0 ? 10 : 3, this.files.size === 0 ? 16 : 8);
    for (let i = 0; i < added; i++) next.set(this.newPath(), this.newRecipe(favoured));
    this.write(next);
    this.files = next;
  }

  /** The pool segments the folder holds now. */
  segments(): number[] {
    return [...new Set([...this.files.values()].flatMap((r) => r.segments))];
  }

  /** What a backup taken now must restore: every entry with its content hash, mode and mtime. */
  capture(): TreeFacts {
    return describeTree(this.dir);
  }

  private newPath(): string {
    const n = this.nextFile++;
    return path.join(`d${n % 3}`, `e${n % 5}`, `file-${n}.bin`);
  }

  private newRecipe(favoured: number[]): FileRecipe {
    const count = this.random.int(1, 4);
    const segments = Array.from({ length: count }, () => (favoured.length > 0 && this.random.chance(0.5) ? this.random.pick(favoured) : this.random.int(0, this.pool.size - 1)));
    return { segments, salt: this.random.int(1, 1e9), uniqueBytes: this.random.chance(0.5) ? this.random.int(1, 6000) : 0 };
  }

  private content(recipe: FileRecipe): Buffer {
    const parts = recipe.segments.map((s) => this.pool.segment(s));
    if (recipe.uniqueBytes > 0) parts.splice(1, 0, pseudoRandomBytes(recipe.uniqueBytes, recipe.salt));
    return Buffer.concat(parts);
  }

  /** Removes the files that go, writes new and changed ones, leaves the others untouched. */
  private write(next: Map<string, FileRecipe>): void {
    for (const rel of this.files.keys()) if (!next.has(rel)) fs.rmSync(path.join(this.dir, rel));
    for (const [rel, recipe] of next) {
      if (this.files.get(rel) === recipe) continue;
      fs.mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, rel), this.content(recipe));
    }
  }
}
