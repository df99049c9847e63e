// The small native addon (native/fsmeta, built by `npm run build`) for what Node's fs cannot do:
// set times to the exact nanosecond (libuv rounds to microseconds), create FIFOs and device
// nodes, and lstat many entries of a directory in one call (core/entryStats.ts reads what it
// writes). Plain functions, usable from the main thread and from decoder threads.

import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';

interface FsMetaAddon {
  setTimes(p: string | Buffer, seconds: number, nanoseconds: number, followLinks: number): void;
  setTimesFd(fd: number, seconds: number, nanoseconds: number): void;
  makeNode(p: string | Buffer, mode: number, rdev: number): void;
  lstatEntries(directory: string | Buffer, names: readonly (string | Buffer)[], out: Float64Array): void;
}

function loadAddon(): FsMetaAddon {
  const relative = path.join('native', 'fsmeta', 'build', 'Release', 'fsmeta.node');
  // From core/ (TypeScript sources, as under jest) or from dist/core/.
  for (const up of ['..', path.join('..', '..')]) {
    const candidate = path.join(__dirname, up, relative);
    if (!fs.existsSync(candidate)) continue;
    const addonModule = { exports: {} };
    process.dlopen(addonModule, candidate);
    return addonModule.exports as FsMetaAddon;
  }
  throw new Error('[engine] the native addon native/fsmeta is not built; run `npm run build` first');
}

const addon = loadAddon();

/** Gives an addon error the `code` Node's own fs errors carry (ENOENT, EPERM, ...). */
function withCode<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (typeof errno === 'number') (err as NodeJS.ErrnoException).code = util.getSystemErrorName(errno);
    throw err;
  }
}

/** Splits a nanosecond timestamp (decimal string) into whole seconds and 0..999,999,999 ns. */
function split(mtimeNs: string): [number, number] {
  const ns = BigInt(mtimeNs);
  let seconds = ns / 1_000_000_000n;
  let rest = ns % 1_000_000_000n;
  if (rest < 0n) {
    seconds -= 1n;
    rest += 1_000_000_000n;
  }
  return [Number(seconds), Number(rest)];
}

/** Sets access and modification time of a path to mtimeNs exactly; a symlink itself unless followLinks. */
export function setTimesNs(p: string | Buffer, mtimeNs: string, followLinks: boolean): void {
  const [seconds, ns] = split(mtimeNs);
  withCode(() => addon.setTimes(p, seconds, ns, followLinks ? 1 : 0));
}

/** The same through an open descriptor. */
export function setTimesNsFd(fd: number, mtimeNs: string): void {
  const [seconds, ns] = split(mtimeNs);
  withCode(() => addon.setTimesFd(fd, seconds, ns));
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** mknod: a FIFO (rdev 0) or a character or block device (as root). `type` is one of the S_IF* above. */
export function makeNode(p: string | Buffer, type: number, permissions: number, rdev: bigint): void {
  withCode(() => addon.makeNode(p, type | (permissions & 0o7777), Number(rdev)));
}

/** Numbers lstatEntries writes per name (see native/fsmeta/fsmeta.c). */
export const LSTAT_FIELDS = 16;

/** The lstat of each name of `directory`, LSTAT_FIELDS numbers per name into `out`; an entry that failed has its errno first. */
export function lstatEntries(directory: string | Buffer, names: readonly (string | Buffer)[], out: Float64Array): void {
  withCode(() => addon.lstatEntries(directory, names, out));
}
