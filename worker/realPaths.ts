// Where a path really leads, for the worker's root checks: the realpath of its nearest existing
// ancestor followed by the rest of it, so that a symlink anywhere on the way cannot carry a path
// that looks inside a root to somewhere else.

import fs from 'node:fs';
import path from 'node:path';

/** True when `p` is absolute and has no `.` or `..` segment (which the kernel resolves after symlinks). */
export function isPlainAbsolutePath(p: string): boolean {
  return path.isAbsolute(p) && !p.split(path.sep).some((segment) => segment === '.' || segment === '..');
}

/** The real location of a plain absolute path that may not exist yet. */
export async function realLocation(p: string): Promise<string> {
  const missing: string[] = [];
  for (let existing = path.normalize(p); ; existing = path.dirname(existing)) {
    try {
      return path.join(await fs.promises.realpath(existing), ...missing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(existing) === existing) throw err;
      missing.unshift(path.basename(existing));
    }
  }
}

/** True when the plain absolute path `p` really lies in (or is) one of `roots`. */
export async function isUnderRoots(p: string, roots: readonly string[]): Promise<boolean> {
  const real = await realLocation(p);
  for (const root of roots) {
    const relative = path.relative(await realLocation(root), real);
    if (relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))) return true;
  }
  return false;
}
