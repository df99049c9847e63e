// The real `meridian` command (a client of the test Temporal server, with a `meridian worker`
// child process) against filesystems that refuse writes, made as root with small tmpfs mounts:
// a read-only restore target, a restore target that fills up, a local repository that fills up.
// Each is one clear line and exit 1 at once (they used to retry forever, printing nothing), and
// a rerun once the filesystem is fixed completes. And a backup source with an entry that cannot be
// read: a warning naming it, exit 3.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { meridianEnv, MeridianWorkerProcess, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { expectSameTree, writeTree } from '../helpers/trees';

const asRoot = process.getuid?.() === 0;
let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess | undefined;
const mounts: string[] = [];

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });

/** A fresh tmpfs of `sizeMiB` at `dir` (read-only when asked), unmounted after the tests. */
function mountTmpfs(dir: string, sizeMiB: number, readOnly = false): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  mounts.push(dir);
}

function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir]);
}

beforeAll(async () => {
  if (!asRoot) return;
  // Not tempDir(): its cleanup may run before the tmpfs mounts inside are gone.
  work = mkdtempSync(path.join(os.tmpdir(), 'meridian-cli-fs-'));
  // 12 MiB of incompressible data: more than an 8 MiB filesystem holds.
  writeTree(path.join(work, 'source'), { smallFiles: 20, largeFiles: [6 * 1024 * 1024, 6 * 1024 * 1024] });
  env = meridianEnv(work, 'cli-fs', 'filesystem passphrase', [path.join(work, 'repo'), path.join(work, 'small-repo')]);
  worker = await startMeridianWorker(env);
  expect((await meridian('init', '--repo', 'repo')).code).toBe(0);
  expect((await meridian('backup', 'source', '--repo', 'repo')).code).toBe(0);
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  for (const dir of mounts.reverse()) execFileSync('umount', [dir]);
  if (work) rmSync(work, { recursive: true, force: true });
});

(asRoot ? describe : describe.skip)('meridian on filesystems that refuse writes (as root, tmpfs)', () => {
  it('a restore into a read-only target exits 1 with one line; after remounting it read-write, a rerun restores', async () => {
    const target = path.join(work, 'read-only');
    mountTmpfs(target, 64, true);
    const run = await meridian('restore', 'latest', '--repo', 'repo', '--target', target);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^meridian: \\[filesystem\\] \\w+ (\\S+ → )?${target}/\\S+: read-only file system \\(EROFS\\)\\n$`));

    remount(target, 'rw');
    expect(await meridian('restore', 'latest', '--repo', 'repo', '--target', target)).toMatchObject({ code: 0, stderr: '' });
    expectSameTree(path.join(work, 'source'), target);
  });

  it('a restore onto a full filesystem exits 1 with "no space left on device"; with room made, a rerun completes it', async () => {
    const target = path.join(work, 'small-target');
    mountTmpfs(target, 8);
    const run = await meridian('restore', 'latest', '--repo', 'repo', '--target', target);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^meridian: \\[filesystem\\] \\w+( ${target}/\\S+)?: no space left on device \\(ENOSPC\\)\\n$`));

    remount(target, 'size=64m');
    expect(await meridian('restore', 'latest', '--repo', 'repo', '--target', target)).toMatchObject({ code: 0, stderr: '' });
    expectSameTree(path.join(work, 'source'), target);
  });

  it('a backup that cannot read an entry names it on stderr, carries it in --json and exits 3; the rest is saved', async () => {
    const source = path.join(work, 'partly-unreadable');
    writeTree(source, { smallFiles: 5 });
    // /proc/1/mem bound over a file: a regular file that even root may not open (EACCES).
    const unreadable = path.join(source, 'unreadable.bin');
    writeFileSync(unreadable, '');
    execFileSync('mount', ['--bind', '/proc/1/mem', unreadable]);
    mounts.push(unreadable);

    const run = await meridian('backup', source, '--repo', 'repo', '--json');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^meridian: warning: .*${unreadable}.*\n$`));
    const result = JSON.parse(run.stdout) as { filesSkipped: number; warnings: string[]; filesNew: number; snapshotId: string };
    expect(result).toMatchObject({ filesSkipped: 1, warnings: [expect.stringContaining(unreadable)] });

    const human = await meridian('backup', source, '--repo', 'repo', '-q'); // -q keeps warnings
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(new RegExp(`^meridian: warning: .*${unreadable}.*\n$`));
    expect(human.stdout).toMatch(/\n {2}incomplete: 1 entry could not be read and is not in the snapshot\n$/);

    const target = path.join(work, 'partly-restored');
    expect(await meridian('restore', result.snapshotId, '--repo', 'repo', '--target', target)).toMatchObject({ code: 0, stderr: '' });
    execFileSync('umount', [mounts.pop()!]);
    rmSync(unreadable);
    expectSameTree(source, target);
  });

  it('a backup into a full local repository exits 1 with "no space left on device", not "storage unreachable"', async () => {
    const small = path.join(work, 'small-repo');
    mountTmpfs(small, 8);
    expect((await meridian('init', '--repo', small)).code).toBe(0);
    const run = await meridian('backup', 'source', '--repo', small);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^meridian: \\[storage:local\\] put \\S+ in ${small}: no space left on device \\(ENOSPC\\)\\n$`));

    remount(small, 'size=64m');
    expect(await meridian('backup', 'source', '--repo', small)).toMatchObject({ code: 0, stderr: '' });
    expect(await meridian('restore', 'latest', '--repo', small, '--target', 'from-small')).toMatchObject({ code: 0, stderr: '' });
    expectSameTree(path.join(work, 'source'), path.join(work, 'from-small'));
  });
});
