// Include / exclude globs over paths relative to a snapshot's root ("dir/file.tif").
// A pattern without a slash matches a name at any depth ("*.tmp"); an excluded directory
// excludes everything below it; an included directory includes everything below it.

import { minimatch, MinimatchOptions } from 'minimatch';

const OPTIONS: MinimatchOptions = { dot: true, matchBase: true };

export interface PathFilter {
  /** Whether this entry itself is excluded (then nothing below it is visited). */
  excluded(rel: string): boolean;
  /** Whether this entry or a directory above it is excluded: for a path reached without walking down to it (the journal's). */
  excludedWithin(rel: string): boolean;
  /** Whether this entry is selected by the includes, directly or through an ancestor. */
  included(rel: string): boolean;
  /** Whether a directory may contain included entries, so it is worth descending into. */
  mayContainIncluded(relDir: string): boolean;
  readonly hasIncludes: boolean;
}

export function createPathFilter(includes: readonly string[] = [], excludes: readonly string[] = []): PathFilter {
  const matches = (patterns: readonly string[], rel: string) => patterns.some((p) => minimatch(rel, stripSlashes(p), OPTIONS));
  return {
    hasIncludes: includes.length > 0,
    excluded: (rel) => matches(excludes, rel),
    excludedWithin: (rel) => excludes.length > 0 && ancestorsAndSelf(rel).some((r) => matches(excludes, r)),
    included: (rel) => includes.length === 0 || ancestorsAndSelf(rel).some((r) => matches(includes, r)),
    mayContainIncluded: (relDir) =>
      includes.length === 0 ||
      includes.some((p) => {
        const pattern = stripSlashes(p);
        return !pattern.includes('/') || pattern.startsWith('**') || minimatch(relDir, pattern, { ...OPTIONS, partial: true });
      }),
  };
}

function stripSlashes(pattern: string): string {
  return pattern.replace(/^\/+|\/+$/g, '');
}

function ancestorsAndSelf(rel: string): string[] {
  const parts = rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
