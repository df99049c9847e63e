// `meridian pg wal-daemon` and the fast wal-push/wal-fetch client: push, repeated push, refused
// conflict, fetch, missing (exit 1), a socket only its owner can use, requests for another cluster
// or repository refused (never served from the daemon's), a push after a key rotation began sealed
// under the new key, and fallback to direct mode once the daemon is gone (SIGTERM).

import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { eventually } from '../helpers/polling';
import { opensUnder } from '../helpers/sealedUnder';
import { projectRoot, runMeridian } from '../helpers/meridianCli';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const bin = path.join(projectRoot, 'bin', 'meridian.js');
const SEG = '000000010000000000000003';

describe('pg wal-daemon', () => {
  const work = tempDir('wal-daemon');
  const repoDir = path.join(work, 'repo');
  const socket = path.join(work, 'wal.sock');
  const env = { ...process.env, MERIDIAN_PASSWORD: 'wal daemon', MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_WAL_SOCKET: socket };
  const run = (args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
  let daemon: ChildProcessWithoutNullStreams;
  const bytes = Buffer.from(pseudoRandomBytes(1024 * 1024, 7));

  /** A wal-daemon of `repoDir` with `args`, once it listens on `socketPath`. */
  async function startDaemon(socketPath: string, args: string[] = []): Promise<ChildProcessWithoutNullStreams> {
    const started = spawn(process.execPath, [bin, 'pg', 'wal-daemon', '--repo', repoDir, '--socket', socketPath, ...args], { cwd: work, env, stdio: 'pipe' });
    let log = '';
    started.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await eventually('the wal-daemon listening', () => (log.includes(`listening on ${socketPath}`) ? true : undefined), 60_000);
    return started;
  }

  beforeAll(async () => {
    fs.mkdirSync(repoDir);
    await Repository.init(new LocalStorage(repoDir), 'wal daemon');
    fs.mkdirSync(path.join(work, 'a'));
    fs.mkdirSync(path.join(work, 'b'));
    fs.writeFileSync(path.join(work, 'a', SEG), bytes);
    fs.writeFileSync(path.join(work, 'b', SEG), pseudoRandomBytes(1024 * 1024, 8));
    daemon = await startDaemon(socket);
  }, 90_000);

  afterAll(() => {
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  });

  it('listens on a socket only its owner can use', () => {
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
  });

  it('stores, repeats, refuses a conflict, fetches and reports a missing segment', async () => {
    // No --repo: the request goes to the daemon, which has the repository open.
    expect(await run(['pg', 'wal-push', path.join('a', SEG)])).toMatchObject({ code: 0, stdout: `${SEG}: stored\n` });
    expect(await run(['pg', 'wal-push', path.join('a', SEG)])).toMatchObject({ code: 0, stdout: `${SEG}: already-stored\n` });
    const conflict = await run(['pg', 'wal-push', path.join('b', SEG)]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^meridian: .*different content.*\n$/);
    expect(await run(['pg', 'wal-fetch', SEG, 'fetched'])).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(work, 'fetched')).equals(bytes)).toBe(true);
    expect(await run(['pg', 'wal-fetch', '000000010000000000000004', 'missing'])).toMatchObject({ code: 1 });
    expect(fs.existsSync(path.join(work, 'missing'))).toBe(false);
    expect(await run(['pg', 'wal-fetch', SEG, 'fetched', '--cluster', 'other'])).toMatchObject({ code: 126 });
  }, 120_000);

  it('serves the repository it opened when named so (a relative path too), and refuses another one', async () => {
    expect(await run(['pg', 'wal-fetch', SEG, 'named', '--repo', 'repo'])).toMatchObject({ code: 0 });
    const other = path.join(work, 'other-repo');
    const fetched = await run(['pg', 'wal-fetch', SEG, 'elsewhere', '--repo', other]);
    expect(fetched.code).toBe(126);
    expect(fetched.stderr).toBe(`meridian: this wal-daemon serves another repository than ${other}; start one for it or pass the daemon's --repo\n`);
    expect(fs.existsSync(path.join(work, 'elsewhere'))).toBe(false);
    const pushed = await run(['pg', 'wal-push', path.join('a', SEG), '--repo', other]);
    expect(pushed.code).toBe(1);
    expect(pushed.stderr).toContain('serves another repository');
  }, 120_000);

  it("refuses a request without --cluster when it serves another cluster than direct mode's main", async () => {
    const prodSocket = path.join(work, 'prod.sock');
    const prod = await startDaemon(prodSocket, ['--cluster', 'prod']);
    try {
      const withoutCluster = await run(['pg', 'wal-fetch', SEG, 'prod-fetched', '--socket', prodSocket]);
      expect(withoutCluster).toMatchObject({ code: 126, stderr: 'meridian: this wal-daemon serves cluster prod, not main; start one for that cluster or pass the same --cluster\n' });
      expect((await run(['pg', 'wal-push', path.join('a', SEG), '--socket', prodSocket])).code).toBe(1);
      expect(await run(['pg', 'wal-push', path.join('a', SEG), '--socket', prodSocket, '--cluster', 'prod'])).toMatchObject({ code: 0, stdout: `${SEG}: stored\n` });
    } finally {
      prod.kill('SIGKILL');
    }
  }, 120_000);

  it('carries on across a key rotation: a push after it is sealed under the new key, and a fetch of it works', async () => {
    const rotated = '000000010000000000000005';
    fs.writeFileSync(path.join(work, 'a', rotated), pseudoRandomBytes(200_000, 11));
    const { repository } = await (await Repository.open(new LocalStorage(repoDir), 'wal daemon')).startRotation('wal daemon');
    expect(await run(['pg', 'wal-push', path.join('a', rotated)])).toMatchObject({ code: 0, stdout: `${rotated}: stored\n` });
    const stored = await repository.storage.get({ type: 'wal', name: `main.${rotated}` });
    expect(opensUnder(repository.keys!.encryption, stored)).toBe(true);
    expect(await run(['pg', 'wal-fetch', rotated, 'after-rotation'])).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(work, 'after-rotation')).equals(fs.readFileSync(path.join(work, 'a', rotated)))).toBe(true);
  }, 120_000);

  it('stops on SIGTERM, and the commands then fall back to direct mode', async () => {
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(socket)).toBe(false);
    expect(await run(['pg', 'wal-push', path.join('a', SEG), '--repo', repoDir])).toMatchObject({ code: 0, stdout: `${SEG}: already-stored\n` });
    expect(await run(['pg', 'wal-fetch', SEG, 'direct', '--repo', repoDir])).toMatchObject({ code: 0 });
    expect(fs.readFileSync(path.join(work, 'direct')).equals(bytes)).toBe(true);
  }, 120_000);
});
