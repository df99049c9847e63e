// The one shape of a meridian.yaml error: `FILE:LINE: key.path: what is wrong` (the CLI exits 2 on it).

import { RepositoryError } from '../core/errors.js';

/** A configuration error: one line, `FILE:LINE: key.path: what is wrong`; the CLI exits 2 on it. */
export function configError(file: string, line: number | undefined, keyPath: readonly PropertyKey[], message: string): RepositoryError {
  const where = line === undefined ? file : `${file}:${line}`;
  const key = keyPath.length > 0 ? `${keyPath.map(String).join('.')}: ` : '';
  return new RepositoryError('invalid-argument', `${where}: ${key}${message}`);
}
