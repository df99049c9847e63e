// `meridian replication` end to end through the real CLI and a real `meridian worker` on local
// repositories: init a primary and (init --replica-of) its replica, back up, `replication run
// --wait` answers each replica's pass, `status` then shows the replica reachable, nothing behind,
// lag 0 and its last copy, and `verify` finds 0 differences (exit 0). A pack removed from the
// replica is a difference `verify` names (exit 1), and `run --full --wait` copies it back.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PassResult } from '../../core/replicationTypes';
import type { ReplicationStatus } from '../../replication/status';
import type { ReplicationVerifyOutput } from '../../workflows/replicationDefs';
import { meridianEnv, MeridianWorkerProcess, moduleRecorder, parseJson, runMeridian, SDK_CLIENT_MODULES, startMeridianWorker } from '../helpers/meridianCli';
import { testConnection, type TestConnection } from '../helpers/temporal';
import { tempDir, writeTree } from '../helpers/trees';

let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
let temporal: TestConnection;
const set = `cli-rep-${process.pid}-${Date.now().toString(36)}`;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });
const meridianRecorded = (modules: { env: NodeJS.ProcessEnv }, ...args: string[]) => runMeridian(args, { cwd: work, env: { ...env, ...modules.env }, timeoutMs: 90_000 });
const replicaDir = () => path.join(work, 'gis-us');

beforeAll(async () => {
  work = tempDir('cli-replication');
  writeTree(path.join(work, 'source'), { smallFiles: 20, largeFiles: [2 * 1024 * 1024] });
  writeFileSync(path.join(work, 'gis.pass'), 'replicated passphrase\n');
  writeFileSync(
    path.join(work, 'meridian.yaml'),
    [
      'repositories:',
      `  gis-eu: { url: ${path.join(work, 'gis-eu')}, region: eu-west-1, passwordFile: ${path.join(work, 'gis.pass')} }`,
      `  gis-us: { url: ${replicaDir()}, region: us-east1, passwordFile: ${path.join(work, 'gis.pass')} }`,
      'replication:',
      `  ${set}: { primary: gis-eu, replicas: [gis-us], deleteGraceHours: 0 }`,
      '',
    ].join('\n'),
  );
  env = { ...meridianEnv(work, 'clirep', 'not the passphrase'), MERIDIAN_CONFIG: path.join(work, 'meridian.yaml'), MERIDIAN_REPLICATION_RETRY_SECONDS: '1' };
  temporal = await testConnection();
  expect((await meridian('init', '--repo', 'gis-eu', '--pack-size', '1')).code).toBe(0);
  expect((await meridian('init', '--replica-of', 'gis-eu', '--repo', 'gis-us')).code).toBe(0);
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await temporal.client.workflow
    .getHandle(`replication:${set}`)
    .terminate('test over')
    .catch(() => undefined);
  await worker?.stop('SIGKILL');
  await temporal?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('meridian replication with a worker', () => {
  it('run --wait answers the pass; status then shows nothing behind; verify finds 0 differences', async () => {
    parseJson(await meridian('backup', path.join(work, 'source'), '--repo', 'gis-eu', '--json'));
    const runModules = moduleRecorder(work, 'run'); // the pass's Update too goes over the CLI's own gRPC calls
    const run = parseJson<{ set: string; results: PassResult[] }>(await meridianRecorded(runModules, 'replication', 'run', set, '--wait', '--json'));
    expect(runModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    expect(run.results).toEqual([expect.objectContaining({ replica: 'gis-us', behind: expect.objectContaining({ snapshots: 0 }) })]);

    // status and verify too: no Temporal SDK client is loaded.
    const statusModules = moduleRecorder(work, 'status');
    const status = parseJson<ReplicationStatus>(await meridianRecorded(statusModules, 'replication', 'status', set, '--json'));
    expect(statusModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    expect(status).toMatchObject({ running: true, primary: { name: 'gis-eu', region: 'eu-west-1' } });
    expect(status.unanswered).toBeUndefined();
    expect(status.replicas).toEqual([
      expect.objectContaining({ name: 'gis-us', region: 'us-east1', location: replicaDir(), state: 'idle', reachable: true, lagSeconds: 0, lastSuccessAt: expect.any(String) }),
    ]);
    expect(status.replicas[0]!.behind).toMatchObject({ snapshots: 0, bytes: 0 });

    const verifyModules = moduleRecorder(work, 'verify');
    const verify = parseJson<ReplicationVerifyOutput>(await meridianRecorded(verifyModules, 'replication', 'verify', set, '--json'));
    expect(verify).toMatchObject({ set, ok: true, differences: 0 });
    expect(verifyModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    const snapshots = parseJson<unknown[]>(await meridian('snapshots', '--repo', replicaDir(), '--password-file', path.join(work, 'gis.pass'), '--json'));
    expect(snapshots).toHaveLength(1);
  });

  it('a pack lost from the replica is a difference verify names (exit 1); run --full copies it back', async () => {
    const bucket = readdirSync(path.join(replicaDir(), 'data'))[0]!;
    const pack = readdirSync(path.join(replicaDir(), 'data', bucket))[0]!;
    rmSync(path.join(replicaDir(), 'data', bucket, pack));

    const damaged = await meridian('replication', 'verify', set, '--replica', 'gis-us');
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toContain(`  missing data/${pack} (`);
    expect(damaged.stdout.trim().split('\n').pop()).toMatch(new RegExp(`^replica set ${set}: 1 difference in `));

    const full = parseJson<{ results: PassResult[] }>(await meridian('replication', 'run', set, '--full', '--wait', '--json'));
    expect(full.results[0]).toMatchObject({ replica: 'gis-us', kind: 'full', copied: { byType: { data: 1 } } });
    expect((await meridian('replication', 'verify', set)).code).toBe(0);
  });
});
