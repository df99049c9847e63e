// What a walk needs of an entry's lstat, as plain numbers and strings: `EntryStat`. Backups read
// a directory's entries in batches through the native addon (one call per 1,024 names), where
// Node's lstat with bigint built an object of some thirty BigInts per entry: a third of the time
// of a backup with nothing changed went there and to collecting them. An entry whose lstat fails
// is asked again through Node, so that its error (and the warning naming it) is Node's own.

import fs from 'node:fs';
import { LSTAT_FIELDS, lstatEntries } from './nativeFs.js';
import type { PathBytes } from './fileNames.js';

export interface EntryStat {
  /** The st_mode: file type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  /** Inode, device and device number (of a chardev or blockdev) as decimal strings: they may exceed 2^53. */
  ino: string;
  dev: string;
  rdev: string;
  /** Modification and status-change times in nanoseconds since the epoch, as decimal strings. */
  mtimeNs: string;
  ctimeNs: string;
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK } = fs.constants;
const KINDS = new Map<number, EntryKind>([
  [S_IFREG, 'file'],
  [S_IFDIR, 'dir'],
  [S_IFLNK, 'symlink'],
  [S_IFIFO, 'fifo'],
  [S_IFSOCK, 'socket'],
  [S_IFCHR, 'chardev'],
  [S_IFBLK, 'blockdev'],
]);

/** The entry's type, from its mode; undefined for a type no tree records. */
export function entryKind(st: EntryStat): EntryKind | undefined {
  return KINDS.get(st.mode & S_IFMT);
}

/** Node's bigint lstat as an EntryStat. */
export function entryStatOf(st: fs.BigIntStats): EntryStat {
  return {
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    nlink: Number(st.nlink),
    size: Number(st.size),
    ino: st.ino.toString(),
    dev: st.dev.toString(),
    rdev: st.rdev.toString(),
    mtimeNs: st.mtimeNs.toString(),
    ctimeNs: st.ctimeNs.toString(),
  };
}

/** Names lstat'ed per native call: bounds the buffer, and the time between two turns of the event loop. */
const BATCH = 1024;
const TWO_TO_32 = 2 ** 32;

/**
 * The lstat of a directory's entries, read a batch ahead: `of` answers for the i-th name of a
 * listing, and lstats the next batch when i leaves the current one. One per walk (its buffer is
 * reused from batch to batch), asked in order, one directory at a time.
 */
export class DirectoryStats {
  private readonly out = new Float64Array(BATCH * LSTAT_FIELDS);
  private names: readonly (string | Buffer)[] | undefined;
  private first = 0;
  private count = 0;

  /** The lstat of `names[i]`, an entry of `directory` whose path is `entryPath`; throws Node's error when it fails. */
  of(directory: PathBytes, names: readonly (string | Buffer)[], i: number, entryPath: PathBytes): EntryStat {
    if (names !== this.names || i < this.first || i >= this.first + this.count) this.read(directory, names, i);
    const at = (i - this.first) * LSTAT_FIELDS;
    const out = this.out;
    if (out[at] !== 0) return entryStatOf(fs.lstatSync(entryPath, { bigint: true }));
    return {
      mode: out[at + 1]!,
      uid: out[at + 2]!,
      gid: out[at + 3]!,
      nlink: out[at + 4]!,
      size: out[at + 5]!,
      ino: unsigned64(out[at + 6]!, out[at + 7]!),
      dev: unsigned64(out[at + 8]!, out[at + 9]!),
      rdev: unsigned64(out[at + 10]!, out[at + 11]!),
      mtimeNs: nanoseconds(out[at + 12]!, out[at + 13]!),
      ctimeNs: nanoseconds(out[at + 14]!, out[at + 15]!),
    };
  }

  private read(directory: PathBytes, names: readonly (string | Buffer)[], from: number): void {
    this.names = undefined;
    const batch = names.slice(from, from + BATCH);
    try {
      lstatEntries(directory, batch, this.out);
    } catch {
      // The directory itself could not be opened (it vanished, say): each entry asks Node, which says why.
      for (let i = 0; i < batch.length; i++) this.out[i * LSTAT_FIELDS] = -1;
    }
    this.names = names;
    this.first = from;
    this.count = batch.length;
  }
}

/** A 64-bit unsigned number given as its high and low 32 bits, in decimal. */
function unsigned64(high: number, low: number): string {
  if (high < 2 ** 21) return String(high * TWO_TO_32 + low);
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** A timespec in nanoseconds, in decimal, exactly (seconds × 10⁹ exceeds 2^53). */
function nanoseconds(seconds: number, nanos: number): string {
  if (seconds === 0) return String(nanos);
  if (seconds > 0) return `${seconds}${String(nanos).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}
