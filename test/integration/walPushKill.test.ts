// `meridian pg wal-push` killed with SIGKILL at random moments, in direct mode and through the
// wal-daemon: `wal-fetch` afterwards either reports the segment missing (exit 1, nothing written)
// or returns exactly its bytes, never a truncated file; the push PostgreSQL retries then succeeds.

import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { projectRoot, runMeridian } from '../helpers/meridianCli';
import { eventually } from '../helpers/polling';
import { SeededRandom } from '../helpers/seededRandom';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

jest.setTimeout(10 * 60_000);
const bin = path.join(projectRoot, 'bin', 'meridian.js');
const PASSWORD = 'wal push kill';

describe('wal-push killed mid-call', () => {
  const work = tempDir('wal-kill');
  const repoDir = path.join(work, 'repo');
  const base: NodeJS.ProcessEnv = { ...process.env, MERIDIAN_PASSWORD: PASSWORD, MERIDIAN_HOME: path.join(work, 'home') };
  delete base.MERIDIAN_WAL_SOCKET;
  const random = new SeededRandom(1517);
  let daemon: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    fs.mkdirSync(repoDir);
    await Repository.init(new LocalStorage(repoDir), PASSWORD);
    fs.mkdirSync(path.join(work, 'pg_wal'));
  });

  afterAll(() => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  });

  /** Pushes segment `n`, kills the push after up to `maxDelayMs`, then checks what wal-fetch returns and that a retried push stores it. */
  async function killedPush(n: number, maxDelayMs: number, env: NodeJS.ProcessEnv): Promise<'missing' | 'whole'> {
    const name = `00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}`;
    const bytes = Buffer.from(pseudoRandomBytes(2 * 1024 * 1024, n));
    fs.writeFileSync(path.join(work, 'pg_wal', name), bytes);
    const push = spawn(process.execPath, [bin, 'pg', 'wal-push', '--repo', repoDir, path.join('pg_wal', name)], { cwd: work, env, stdio: 'ignore' });
    const exited = new Promise((resolve) => push.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random.float() * maxDelayMs)));
    push.kill('SIGKILL');
    await exited;

    const fetched = path.join(work, `fetched-${name}`);
    const fetch = await runMeridian(['pg', 'wal-fetch', '--repo', repoDir, name, fetched], { cwd: work, env, timeoutMs: 60_000 });
    let seen: 'missing' | 'whole';
    if (fetch.code === 1) {
      expect(fs.existsSync(fetched)).toBe(false);
      seen = 'missing';
    } else {
      expect(fetch.code).toBe(0);
      expect(fs.readFileSync(fetched).equals(bytes)).toBe(true);
      seen = 'whole';
    }
    const retried = await runMeridian(['pg', 'wal-push', '--repo', repoDir, path.join('pg_wal', name)], { cwd: work, env, timeoutMs: 60_000 });
    expect({ name, code: retried.code }).toEqual({ name, code: 0 });
    fs.rmSync(fetched, { force: true });
    const again = await runMeridian(['pg', 'wal-fetch', '--repo', repoDir, name, fetched], { cwd: work, env, timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(fs.readFileSync(fetched).equals(bytes)).toBe(true);
    return seen;
  }

  it('in direct mode, 15 kills leave each segment missing or whole', async () => {
    const seen: string[] = [];
    for (let n = 1; n <= 15; n++) seen.push(await killedPush(n, 2500, base));
    // The kills spread over the call: some before the segment was stored (else the test proves nothing).
    expect(seen).toContain('missing');
  });

  it('through the wal-daemon, 15 kills of the client leave each segment missing or whole', async () => {
    const socket = path.join(work, 'wal.sock');
    const env = { ...base, MERIDIAN_WAL_SOCKET: socket };
    daemon = spawn(process.execPath, [bin, 'pg', 'wal-daemon', '--repo', repoDir], { cwd: work, env, stdio: 'pipe' });
    let log = '';
    daemon.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await eventually('the wal-daemon listening', () => (log.includes(`listening on ${socket}`) ? true : undefined), 60_000);
    const seen: string[] = [];
    for (let n = 101; n <= 115; n++) seen.push(await killedPush(n, 400, env));
    expect(seen).toContain('missing');
  });
});
