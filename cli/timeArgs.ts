// The point-in-time arguments of `restore --at`, `snapshots --at` and `pg restore`: a time with a
// zone, and a source named in meridian.yaml or given as the directory its snapshots record.

import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { parseSnapshotTime, ZONED_SNAPSHOT_TIME_FORMAT } from '../core/snapshotTime.js';
import { usageError } from './exitCodes.js';
import type { CommandName } from './usage.js';

export function zonedTimeOption(command: CommandName, name: string, value: string | undefined): Date {
  if (value === undefined || value === '') throw usageError(`${name} is required; see 'meridian help ${command}'`);
  const time = parseSnapshotTime(value, { requireZone: true });
  if (!time) throw usageError(`${name} must be ${ZONED_SNAPSHOT_TIME_FORMAT} (got "${value}")`);
  return time;
}

/** --source: a NAME of meridian.yaml's sources (its path and host), else a path (made absolute). */
export function sourceOption(command: CommandName, value: string | undefined): { source: string; host?: string } {
  if (value === undefined || value === '') throw usageError(`--source is required with --at; see 'meridian help ${command}'`);
  if (!value.includes('/') && value !== '.' && value !== '..') {
    const entry = loadConfig()?.config.sources[value];
    if (entry) return { source: entry.path, ...(entry.host !== undefined ? { host: entry.host } : {}) };
  }
  return { source: path.resolve(value) };
}
