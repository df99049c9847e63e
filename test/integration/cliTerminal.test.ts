// The `meridian` command on a terminal: run under `script` (util-linux), which gives it a
// pseudo-terminal, a backup long enough to be polled draws its progress line on stderr; with -q it
// draws none and prints the same summary. A `meridian worker` on the test Temporal server does the work.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { meridianEnv, MeridianWorkerProcess, projectRoot, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

const execFileAsync = promisify(execFile);

let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

/** Everything `meridian args` wrote to its terminal (stdout and stderr are the same one there). */
async function onTerminal(...args: string[]): Promise<string> {
  const command = [process.execPath, path.join(projectRoot, 'bin', 'meridian.js'), ...args].map((word) => `'${word}'`).join(' ');
  const { stdout } = await execFileAsync('script', ['--quiet', '--return', '--command', command, '/dev/null'], { cwd: work, env, timeout: 120_000 });
  return stdout;
}

beforeAll(async () => {
  work = tempDir('cli-terminal');
  env = meridianEnv(work, 'cli-terminal', 'terminal passphrase', [path.join(work, 'repo')]);
  // A 1 GiB sparse file: zeros that take the backup some seconds to read.
  mkdirSync(path.join(work, 'source'));
  writeFileSync(path.join(work, 'source', 'zeros.bin'), '');
  truncateSync(path.join(work, 'source', 'zeros.bin'), 1024 ** 3);
  worker = await startMeridianWorker(env);
  expect(await runMeridian(['init', '--repo', 'repo'], { cwd: work, env, timeoutMs: 60_000 })).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const PROGRESS_LINE = '\r\x1b[2Kbackup';
const SUMMARY = /snapshot [0-9a-f]{8} saved \(full\) in .*\r\n {2}files: 1 new, 0 changed, 0 unmodified; 1 directory\r\n/;

test('a backup on a terminal draws its progress line on stderr', async () => {
  const output = await onTerminal('backup', 'source', '--repo', 'repo', '--type', 'full');
  expect(output).toContain(PROGRESS_LINE);
  expect(output).toMatch(SUMMARY);
});

test('with -q it draws none, and the summary is the same', async () => {
  const output = await onTerminal('backup', 'source', '--repo', 'repo', '--type', 'full', '-q');
  expect(output).not.toContain('\x1b[2K');
  expect(output).toMatch(SUMMARY);
});
