// A time carried by a workflow input (a backup's `time`, a restore's target): ISO 8601 with a
// zone, checked again here since a workflow started by the `temporal` CLI may carry anything.

import { RepositoryError } from '../core/errors.js';
import { parseSnapshotTime, ZONED_SNAPSHOT_TIME_FORMAT } from '../core/snapshotTime.js';

export function zonedTime(name: string, text: string): Date {
  const parsed = parseSnapshotTime(text, { requireZone: true });
  if (!parsed) throw new RepositoryError('invalid-argument', `${name} "${text}" is not ${ZONED_SNAPSHOT_TIME_FORMAT}`);
  return parsed;
}
