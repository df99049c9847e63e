// The one-line error that parsing a meridian.yaml text throws, for tests of config/load.ts.

import { parseConfig } from '../../config/load';
import { RepositoryError } from '../../core/errors';

/** The message of the configuration error (an invalid-argument RepositoryError) that parsing `text` as `file` throws. */
export function configErrorOf(text: string, file: string): string {
  try {
    parseConfig(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(RepositoryError);
    expect((err as RepositoryError).code).toBe('invalid-argument');
    return (err as Error).message;
  }
  throw new Error('parsed without error');
}

/** `text` with `from` replaced by `to` (which must occur). */
export function editedText(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}
