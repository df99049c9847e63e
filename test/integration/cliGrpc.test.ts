// The CLI's own gRPC calls on a configured cluster (cli/grpcOperation.ts) against the shared test
// Temporal server and a `meridian worker`: a run starts as the SDK would start it (search
// attributes and summary, findable by them) and loads no Temporal client, grpc-js or protobufjs; a
// run that ends otherwise than completed, a refused start and Ctrl-C behave as on the SDK path (the
// exit code, the one-line message, the cancellation request); a wait outlives its connection being
// reset; what the progress line reads (describe, progress query) decodes from the real server's
// answers.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { OPERATIONS, PROGRESS_QUERY, repositoryLabel, SEARCH_ATTRIBUTE_KEYS } from '../../workflows/catalog';
import { repositoryWorkflowId } from '../../workflows/workflowIds';
import { meridianEnv, MeridianWorkerProcess, moduleRecorder, parseJson, projectRoot, runMeridian, SDK_CLIENT_MODULES, startMeridianWorker } from '../helpers/meridianCli';
import { startFaultProxy } from '../helpers/faultProxy';
import { eventually } from '../helpers/polling';
import { testAddress, uniqueTaskQueue, useTestConnection } from '../helpers/temporal';
import { GrpcChannel } from '../../cli/wire/grpc';
import { GRPC_STATUS } from '../../cli/wire/grpcError';
import { describeWorkflow, queryWorkflow } from '../../cli/wire/workflowService';
import { tempDir, writeTree } from '../helpers/trees';

const scope = useTestConnection();
let work: string;
let repo: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runMeridian(args, { cwd: work, env: { ...env, ...extraEnv }, timeoutMs: 90_000 });

beforeAll(async () => {
  work = tempDir('cli-grpc');
  repo = path.join(work, 'repo');
  writeTree(path.join(work, 'source'), { smallFiles: 12, largeFiles: [100 * 1024] });
  env = meridianEnv(work, 'cli-grpc', 'grpc passphrase', [repo]);
  worker = await startMeridianWorker(env);
  expect(await meridian(['init', '--repo', repo])).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
});

/** The id of the one run on `taskQueue` once Temporal lists it. */
async function runOn(taskQueue: string): Promise<string> {
  return eventually(`a run on ${taskQueue}`, async () => {
    for await (const run of scope.t.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) return run.workflowId;
    return undefined;
  });
}

describe('meridian on a configured cluster without a progress line', () => {
  it('a backup starts as through the SDK (search attributes, summary) and loads no Temporal client, grpc-js or protobufjs', async () => {
    const modules = moduleRecorder(work, 'backup');
    const backup = parseJson<{ workflowId: string; filesNew: number }>(await meridian(['backup', 'source', '--repo', repo, '--json'], modules.env));
    expect(backup.filesNew).toBe(15); // writeTree adds 2 files of its own
    const loaded = modules.loaded();
    expect(loaded).toContain(path.join(projectRoot, 'dist', 'cli', 'grpcOperation.js'));
    expect(loaded.filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);

    const description = await scope.t.client.workflow.getHandle(backup.workflowId).describe();
    const input = { repo, path: path.join(work, 'source') };
    expect(description.type).toBe(OPERATIONS.backup.workflowType);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.operation)).toBe('backup');
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.repository)).toBe(repositoryLabel(repo));
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.source)).toBe(input.path);
    expect(await description.staticSummary()).toBe(`backup of ${input.path} into ${repo}`);
    const found = await eventually('the run by its search attributes', async () => {
      for await (const run of scope.t.client.workflow.list({ query: `MeridianOperation = "backup" AND MeridianRepository = "${repositoryLabel(repo)}"` })) {
        if (run.workflowId === backup.workflowId) return run.workflowId;
      }
      return undefined;
    });
    expect(found).toBe(backup.workflowId);
  });

  it('Ctrl-C requests the cancellation of the run; a run terminated while the CLI waits exits 1 with the reason', async () => {
    const taskQueue = uniqueTaskQueue('cli-grpc-nobody'); // no worker polls it: the run waits
    const cli = spawn(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'backup', 'source', '--repo', repo], { cwd: work, env: { ...env, MERIDIAN_TASK_QUEUE: taskQueue } });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(cli, 'exit');
    const workflowId = await runOn(taskQueue);
    scope.started.push(workflowId);
    const handle = scope.t.client.workflow.getHandle(workflowId);
    cli.kill('SIGINT');
    await eventually('the cancellation request', async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((event) => event.workflowExecutionCancelRequestedEventAttributes) ? true : undefined;
    });
    // The notice is written before the request is sent, but its pipe may be read after the history answers.
    await eventually('the notice of the cancellation', async () => (stderr.includes(`canceling ${workflowId}`) ? true : undefined));
    await handle.terminate('stopped by the test');
    const [code] = await exited;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe('meridian: stopped by the test');
  });

  it('a wait outlives its connection being reset: the CLI connects again and reports how the run ended', async () => {
    const [host, port] = testAddress().split(':') as [string, string];
    const proxy = await startFaultProxy({ target: { host, port: Number(port) }, failShare: 0 });
    try {
      const taskQueue = uniqueTaskQueue('cli-grpc-nobody');
      const cli = spawn(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'backup', 'source', '--repo', repo], {
        cwd: work,
        env: { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`, MERIDIAN_TASK_QUEUE: taskQueue },
      });
      let stderr = '';
      cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(cli, 'exit');
      const workflowId = await runOn(taskQueue);
      scope.started.push(workflowId);
      proxy.setDown(true); // the CLI's connection is reset, and so is every new one for a while
      await new Promise((resolve) => setTimeout(resolve, 1500));
      proxy.setDown(false);
      await scope.t.client.workflow.getHandle(workflowId).terminate('ended while the connection was down');
      const [code] = await exited;
      expect({ code, stderr }).toEqual({ code: 1, stderr: 'meridian: ended while the connection was down\n' });
      expect(proxy.counts.down).toBeGreaterThan(0);
      expect(proxy.counts.connections).toBeGreaterThan(proxy.counts.down + 1);
    } finally {
      await proxy.close();
    }
  });

  it('a prune while another holds the repository exits 1 naming the running one', async () => {
    const workflowId = repositoryWorkflowId('prune', repositoryLabel(repo));
    await scope.t.client.workflow.start(OPERATIONS.prune.workflowType, { workflowId, taskQueue: uniqueTaskQueue('cli-grpc-nobody'), args: [{ repo }] });
    scope.started.push(workflowId);
    const run = await meridian(['prune', '--repo', repo]);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(`meridian: a prune of this repository is already running (workflow ${workflowId}); wait for it to finish, or follow it with GET /v1/operations/{workflowId} or temporal workflow describe\n`);
  });

  it('what the progress line reads: a finished run is no longer running and its worker answers the progress query; a query of a run no worker took times out', async () => {
    const channel = new GrpcChannel({ address: testAddress() });
    try {
      const backup = parseJson<{ workflowId: string }>(await meridian(['backup', 'source', '--repo', repo, '--json']));
      expect(await describeWorkflow(channel, 'default', backup.workflowId)).toEqual({ status: 'COMPLETED' });
      expect(await queryWorkflow(channel, 'default', backup.workflowId, PROGRESS_QUERY, 3_000)).toMatchObject({ operation: 'backup', phase: 'completed' });

      const waiting = `waiting-${Date.now()}`;
      await scope.t.client.workflow.start(OPERATIONS.backup.workflowType, { workflowId: waiting, taskQueue: uniqueTaskQueue('cli-grpc-nobody'), args: [{ repo, path: path.join(work, 'source') }] });
      scope.started.push(waiting);
      expect(await describeWorkflow(channel, 'default', waiting)).toEqual({ status: 'RUNNING' });
      await expect(queryWorkflow(channel, 'default', waiting, PROGRESS_QUERY, 1_000)).rejects.toMatchObject({ code: GRPC_STATUS.DEADLINE_EXCEEDED });
    } finally {
      channel.close();
    }
  });
});
