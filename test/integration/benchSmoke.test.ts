// The benchmark's smoke mode (a tiny dataset, one run) inside the test suite, so `npm run bench`
// keeps working: every installed tool runs every scenario (forget + prune included), restores are
// checked by the harness, replication copies are compared after each step, and the JSON, Markdown
// and SVG outputs are written.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PruneBenchResult } from '../../bench/prune';
import type { ReplicationBenchResult } from '../../bench/replication';
import { tempDir } from '../helpers/trees';

/** The smoke takes 150–190 s alone; in a CI lane beside other suites it once took over 240 s twice running. */
const SMOKE_LIMIT_MS = 420_000;

test('npm run bench -- --smoke measures every tool on every scenario', () => {
  const out = tempDir('bench-out');
  const run = spawnSync(process.execPath, [path.join(__dirname, '../../dist/bench/run.js'), '--smoke', '--out', out], { encoding: 'utf8', timeout: SMOKE_LIMIT_MS });
  expect(run.stderr).not.toMatch(/exited|restored .* expected/);
  expect(run.status).toBe(0);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'smoke.json'), 'utf8')) as {
    summary: { tools: Record<string, { scenarios: Record<string, { wallMs: { median: number }; requests?: { median: number } }>; repoBytes: { median: number } }> };
    prune: PruneBenchResult;
    replication: ReplicationBenchResult;
  };
  const tools = report.summary.tools;
  expect(Object.keys(tools)).toEqual(expect.arrayContaining(['meridian-engine', 'meridian-temporal', 'meridian-cli']));
  for (const [name, tool] of Object.entries(tools)) {
    expect({ name, scenarios: Object.keys(tool.scenarios).sort() }).toEqual({ name, scenarios: ['full', 'incremental', 'restore', 'unchanged'] });
    expect(tool.repoBytes.median).toBeGreaterThan(1_000_000);
  }
  // The engine counts its storage requests: a full backup puts at least a pack, an index and a snapshot.
  expect(tools['meridian-engine']!.scenarios.full!.requests!.median).toBeGreaterThanOrEqual(3);
  expect(fs.readFileSync(path.join(out, 'smoke.md'), 'utf8')).toContain('| meridian-temporal | full |');
  expect(fs.readFileSync(path.join(out, 'smoke.svg'), 'utf8')).toMatch(/^<svg /);
  // Forget + prune: the policy forgot snapshots of the history and prune gave their space back,
  // restic's the same where it is installed; a backup ran during Meridian's prune.
  for (const figures of report.prune.forgetPrune) expect({ tool: figures.tool, freed: figures.bytesFreed > 100_000 }).toEqual({ tool: figures.tool, freed: true });
  expect(report.prune.forgetPrune.map((f) => f.tool)).toContain('meridian-engine');
  expect(report.prune.meridianDuringPrune.backupDuringMs).toBeGreaterThan(0);
  expect(fs.readFileSync(path.join(out, 'smoke.md'), 'utf8')).toContain('| forget + prune |');
  // Replication between two SeaweedFS servers: the seed moves the repository, the no-op copies no
  // file (it writes only its lock and the replica-state document), and every copy (Meridian's, and
  // rclone's and restic's where installed) ends with 0 differences.
  const [seed, incremental, noop] = report.replication.steps;
  expect([seed?.step, incremental?.step, noop?.step]).toEqual(['seed', 'incremental', 'no-op']);
  expect(seed!.meridian.bytesMoved).toBeGreaterThan(1_000_000);
  expect(noop!.meridian.filesMoved).toBe(0);
  expect(noop!.meridian.bytesMoved).toBeLessThan(10_000);
  for (const step of report.replication.steps) {
    for (const [tool, figures] of Object.entries({ meridian: step.meridian, rclone: step.rclone, restic: step.restic })) {
      if (figures) expect({ step: step.step, tool, differences: figures.differences }).toEqual({ step: step.step, tool, differences: 0 });
    }
  }
}, SMOKE_LIMIT_MS + 60_000);
