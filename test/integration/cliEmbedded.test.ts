// The `meridian` command on its embedded default: with TEMPORAL_ADDRESS unset, backup starts a
// local Temporal dev server whose state lives in MERIDIAN_HOME and does the work in-process;
// restore reuses that server. At the end the server is stopped and no temporal process remains.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describeTree, expectSameTree, tempDir, writeTree } from '../helpers/trees';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');
const execFileAsync = promisify(execFile);

let work: string;
let home: string;
let env: NodeJS.ProcessEnv;

async function meridian(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [bin, ...args], { cwd: work, env, timeout: 180_000 });
}

/** Pids of processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Stops the dev server recorded in MERIDIAN_HOME: SIGTERM, SIGKILL after 10 s; resolves once it is gone. */
async function stopEmbeddedServer(): Promise<void> {
  let pid: number;
  try {
    pid = (JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return; // never started
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 10_000;
  // By command line rather than kill(pid, 0), which a zombie would still answer.
  while (processesMentioning(home).includes(pid)) {
    if (Date.now() > deadline) signal('SIGKILL');
    await sleep(200);
  }
}

beforeAll(() => {
  work = tempDir('cli-embedded');
  home = path.join(work, 'home');
  writeTree(path.join(work, 'source'), { smallFiles: 10, largeFiles: [2 * 1024 * 1024] });
  const { TEMPORAL_ADDRESS: _address, MERIDIAN_TASK_QUEUE: _queue, MERIDIAN_PASSWORD_FILE: _file, ...inherited } = process.env;
  env = { ...inherited, MERIDIAN_HOME: home, MERIDIAN_PASSWORD: 'embedded passphrase' };
});

afterAll(async () => {
  await stopEmbeddedServer();
  rmSync(work, { recursive: true, force: true });
});

describe('meridian without TEMPORAL_ADDRESS', () => {
  it('backup starts a dev server under MERIDIAN_HOME and restore reuses it', async () => {
    await meridian('init', '--repo', 'repo');

    const backup = await meridian('backup', 'source', '--repo', 'repo', '--json');
    expect(backup.stderr).toMatch(/^meridian: started a local Temporal dev server at 127\.0\.0\.1:\d+, Web UI http:\/\/127\.0\.0\.1:\d+; its state is kept in /);
    const { snapshotId } = JSON.parse(backup.stdout) as { snapshotId: string };
    const server = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { pid: number; address: string };
    expect(processesMentioning(home)).toContain(server.pid);

    const restore = await meridian('restore', 'latest', '--repo', 'repo', '--target', 'restored', '--json');
    expect(restore.stderr).toBe(''); // reused: no second server
    expect(JSON.parse(restore.stdout)).toMatchObject({ snapshotId });
    expectSameTree(describeTree(path.join(work, 'source')), path.join(work, 'restored'));
    expect(JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8'))).toEqual(server);
  });

  it('leaves no temporal process running once the recorded server is stopped', async () => {
    await stopEmbeddedServer();
    expect(processesMentioning(home)).toEqual([]);
  });
});
