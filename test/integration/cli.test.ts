// The `meridian` command as a client of the shared test Temporal server: a `meridian worker`
// child process serves a unique task queue and holds the passphrase; the CLI processes only start
// workflows. init → backup → snapshots → restore → verify, then a deleted pack makes verify exit 1.

import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { freePorts } from '../../worker/freePorts';
import { describeTree, expectSameTree, tempDir, writeTree } from '../helpers/trees';

let work: string;
let repo: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

/** Runs `meridian args` in the work folder (so relative paths resolve there, not in the worker's). */
const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

beforeAll(async () => {
  work = tempDir('cli');
  repo = path.join(work, 'repo');
  writeTree(path.join(work, 'source'), { smallFiles: 30, largeFiles: [3 * 1024 * 1024, 200 * 1024] });
  writeFileSync(path.join(work, 'source', 'scratch.tmp'), 'excluded');
  env = meridianEnv(work, 'cli', 'integration passphrase', [repo, path.join(work, 'source')]);
  // The worker runs from the project folder, so a relative path that the CLI failed to make
  // absolute would point somewhere else.
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('meridian with TEMPORAL_ADDRESS and a meridian worker', () => {
  let snapshotId: string;

  it('init creates the repository', async () => {
    const run = await meridian('init', '--repo', repo);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^created an encrypted repository/);
  });

  it('backup --json prints one object with the contract fields (relative PATH, tags, excludes)', async () => {
    const result = json<Record<string, unknown>>(await meridian('backup', 'source', '--repo', repo, '--type', 'full', '--tag', 'nightly', '--tag', 'gis', '--exclude', '*.tmp', '--json'));
    expect(Object.keys(result).sort()).toEqual(
      ['snapshotId', 'workflowId', 'type', 'parent', 'filesNew', 'filesChanged', 'filesUnmodified', 'filesSkipped', 'warnings', 'dirs', 'bytesRead', 'bytesAdded', 'bytesStored', 'durationMs'].sort(),
    );
    expect(result).toMatchObject({ type: 'full', parent: null, filesChanged: 0, filesUnmodified: 0, filesSkipped: 0, warnings: [] });
    expect(result.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(result.workflowId).toEqual(expect.stringMatching(new RegExp(`^backup:${repo}:${path.join(work, 'source')}:`)));
    for (const key of ['filesNew', 'dirs', 'bytesRead', 'bytesAdded', 'bytesStored', 'durationMs']) expect(typeof result[key]).toBe('number');
    expect(result.filesNew).toBe(34); // 30 small, 2 large, script.sh, empty-file; not scratch.tmp
    expect(result.bytesRead as number).toBeGreaterThan(3 * 1024 * 1024);
    snapshotId = result.snapshotId as string;
  });

  it('snapshots --json lists it', async () => {
    const list = json<Record<string, unknown>[]>(await meridian('snapshots', '--repo', repo, '--json'));
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0]!).sort()).toEqual(['bytes', 'files', 'host', 'id', 'parent', 'source', 'tags', 'time', 'type']);
    expect(list[0]).toMatchObject({ id: snapshotId, source: path.join(work, 'source'), type: 'full', parent: null, tags: ['nightly', 'gis'], files: 34 });
  });

  it('restore latest --json restores the same bytes into a relative --target', async () => {
    const result = json<Record<string, unknown>>(await meridian('restore', 'latest', '--repo', repo, '--target', 'restored', '--json'));
    expect(Object.keys(result).sort()).toEqual(['bytes', 'damaged', 'durationMs', 'files', 'filesDamaged', 'snapshotId', 'warnings', 'workflowId']);
    expect(result).toMatchObject({ filesDamaged: 0, damaged: [], warnings: [] });
    expect(result).toMatchObject({ snapshotId, files: 34 });
    const expected = describeTree(path.join(work, 'source'));
    expected.delete('scratch.tmp');
    expectSameTree(expected, path.join(work, 'restored'));
  });

  it('an incremental backup prints a short human summary', async () => {
    const run = await meridian('backup', path.join(work, 'source'), '--repo', repo);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^snapshot [0-9a-f]{8} saved \\(incremental on ${snapshotId.slice(0, 8)}\\)`));
    expect(run.stdout).toMatch(/1 new, 0 changed, 34 unmodified/); // scratch.tmp is no longer excluded
  });

  it('verify --level deep --json finds no problems', async () => {
    const result = json<{ workflowId: string; level: string; ok: boolean; checked: Record<string, number>; problems: unknown[] }>(
      await meridian('verify', '--repo', repo, '--level', 'deep', '--json'),
    );
    expect(Object.keys(result).sort()).toEqual(['checked', 'level', 'ok', 'problems', 'workflowId']);
    expect(result).toMatchObject({ level: 'deep', ok: true, problems: [] });
    expect(result.checked).toMatchObject({ snapshots: 2 });
    expect(result.checked.packs).toBeGreaterThan(0);
    expect(result.checked.bytes).toBeGreaterThan(3 * 1024 * 1024);
  });

  it('a failed operation exits with its class: not a repository is 3', async () => {
    const run = await meridian('backup', 'source', '--repo', path.join(work, 'source'));
    expect(run).toMatchObject({ code: 3, stdout: '' });
    expect(run.stderr).toMatch(/^meridian: .*is not a Meridian repository\n$/);
    // With --json the workflow's failure is one JSON object on stderr, with the same exit code.
    const json = await meridian('backup', 'source', '--repo', path.join(work, 'source'), '--json');
    expect(json).toMatchObject({ code: 3, stdout: '' });
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'not_a_repository', message: expect.stringMatching(/is not a Meridian repository$/) as string, exitCode: 3 } });
  });

  it('once a byte of a pack is flipped, verify --level deep exits 1 naming the affected file, and restore exits 1 listing it and restores the rest', async () => {
    const packs = readdirSync(path.join(repo, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const largest = packs.map((e) => path.join(e.parentPath, e.name)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const bytes = readFileSync(largest);
    const at = Math.floor(bytes.length / 3);
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(largest, bytes);
    const run = await meridian('verify', '--repo', repo, '--level', 'deep', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; problems: { kind: string; pack?: string; path?: string }[] };
    expect(result.ok).toBe(false);
    const damagedPath = result.problems.find((p) => p.kind === 'damaged-blob')!.path!;
    expect(damagedPath).toMatch(/.+/);

    const restore = await meridian('restore', 'latest', '--repo', repo, '--target', 'salvaged');
    expect(restore.code).toBe(1);
    expect(restore.stdout).toContain(`damaged: ${damagedPath}: blob `);
    expect(restore.stdout).toMatch(/; 1 damaged, not restored\n$/);
    const expected = describeTree(path.join(work, 'source')); // latest: the incremental backup, which kept scratch.tmp
    expected.delete(damagedPath);
    expectSameTree(expected, path.join(work, 'salvaged'));
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(largest, bytes);
  });

  it('verify --level quick exits 1 with a missing-pack problem once a pack file is deleted', async () => {
    const dataDir = path.join(repo, 'data');
    const [sub] = readdirSync(dataDir);
    const [pack] = readdirSync(path.join(dataDir, sub!));
    rmSync(path.join(dataDir, sub!, pack!));
    const run = await meridian('verify', '--repo', repo, '--level', 'quick', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; problems: { kind: string; pack?: string }[] };
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'missing-pack', pack }));
  });

  it('with nothing listening at TEMPORAL_ADDRESS, backup and worker exit 4 with one line (the worker used to hang)', async () => {
    const [deadPort] = await freePorts(1);
    const dead = { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` };
    for (const args of [['backup', 'source', '--repo', repo], ['worker']]) {
      const run = await runMeridian(args, { cwd: work, env: dead, timeoutMs: 60_000 });
      expect(run).toMatchObject({ code: 4, stdout: '' });
      expect(run.stderr).toMatch(new RegExp(`^meridian: cannot reach Temporal at 127\\.0\\.0\\.1:${deadPort}: .+\\n$`));
    }
    const json = await runMeridian(['verify', '--repo', repo, '--json'], { cwd: work, env: dead, timeoutMs: 60_000 });
    expect(json).toMatchObject({ code: 4, stdout: '' });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'unavailable', exitCode: 4 } });
  });

  it('the worker stops gracefully on SIGTERM', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.log()).toContain('worker stopped');
  });
});
