// The `meridian` executable started as operators start it (its first line runs `env -S`): the
// process gets the node flags and the malloc setting that line names, and the benchmark's engine
// command reads the same line, so the engine is measured as the executable runs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineCommand, executableLaunch } from '../../bench/tools';
import { assertBuildFresh } from '../setup/distFreshness';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');

let work: string;

beforeAll(() => {
  assertBuildFresh(root);
  work = mkdtempSync(path.join(os.tmpdir(), 'meridian-launch-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the executable runs with the flags and environment of its first line, which the engine command reads too', () => {
  const preload = path.join(work, 'launchSeen.js');
  const seen = path.join(work, 'seen.json');
  writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.SEEN_FILE, JSON.stringify({ execArgv: process.execArgv, mmap: process.env.MALLOC_MMAP_THRESHOLD_ })));\n");
  const result = spawnSync(bin, ['--version'], { cwd: work, env: { ...process.env, NODE_OPTIONS: `--require ${preload}`, SEEN_FILE: seen }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  const launch = executableLaunch();
  expect(launch.nodeFlags).toContain('--max-old-space-size=2000');
  expect(launch.env).toEqual({ MALLOC_MMAP_THRESHOLD_: '262144' });
  expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ execArgv: launch.nodeFlags, mmap: '262144' });
  const command = engineCommand(['backup', 'SRC', 'REPO']);
  expect(command.argv.slice(1, 1 + launch.nodeFlags.length)).toEqual(launch.nodeFlags);
  expect(command.env?.MALLOC_MMAP_THRESHOLD_).toBe('262144');
});
