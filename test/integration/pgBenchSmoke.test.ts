// The PostgreSQL benchmark's smoke mode (a 48 MiB PostGIS database) inside the test suite, so
// `npm run bench -- --pg-only` keeps working: both tools back up twice, push the same WAL
// segments and restore to the same time, each restored cluster checked by the harness for exactly
// the rows committed by then. No time is asserted; the second base backup must deduplicate.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PgBenchResult } from '../../bench/pgBench';
import { tempDir } from '../helpers/trees';

test('npm run bench -- --pg-smoke backs up, pushes WAL and restores to a time with pgBackRest and Meridian', () => {
  const out = tempDir('pg-bench-out');
  const run = spawnSync(process.execPath, [path.join(__dirname, '../../dist/bench/run.js'), '--pg-smoke', '--out', out], { encoding: 'utf8', timeout: 540_000 });
  expect(run.stderr).not.toMatch(/exited|restored .* expected/);
  expect(run.status).toBe(0);
  const result = JSON.parse(fs.readFileSync(path.join(out, 'pg-bench-48MiB.json'), 'utf8')) as PgBenchResult;
  expect(result.database.bytes).toBeGreaterThan(48 * 1024 ** 2);
  expect(result.database.walSegments).toBeGreaterThan(0);
  // Meridian's steps are reported, not thrown, when they fail: here none may.
  for (const step of ['first', 'second', 'walPush', 'restore'] as const) expect({ step, outcome: result.meridian[step] }).not.toEqual({ step, outcome: { failed: expect.any(String) } });
  expect(result.pgbackrest.walPush.perSecond).toBeGreaterThan(0);
  // A second base backup after 5% changed adds far less than the first stored.
  const { meridian } = result;
  expect(meridian.repoBytesAfterSecond - meridian.repoBytesAfterFirst).toBeLessThan(meridian.repoBytesAfterFirst / 2);
  expect(fs.readFileSync(path.join(out, 'pg-bench-48MiB.md'), 'utf8')).toContain('| First base backup (pgBackRest: full) |');
}, 600_000);
