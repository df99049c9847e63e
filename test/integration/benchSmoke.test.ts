// The benchmark's smoke mode (a tiny dataset, one run) inside the test suite, so `npm run bench`
// keeps working: every installed tool runs every scenario, restores are checked by the harness,
// and the JSON, Markdown and SVG outputs are written.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/trees';

test('npm run bench -- --smoke measures every tool on every scenario', () => {
  const out = tempDir('bench-out');
  const run = spawnSync(process.execPath, [path.join(__dirname, '../../dist/bench/run.js'), '--smoke', '--out', out], { encoding: 'utf8', timeout: 240_000 });
  expect(run.stderr).not.toMatch(/exited|restored .* expected/);
  expect(run.status).toBe(0);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'smoke.json'), 'utf8')) as {
    summary: { tools: Record<string, { scenarios: Record<string, { wallMs: { median: number }; requests?: { median: number } }>; repoBytes: { median: number } }> };
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
});
