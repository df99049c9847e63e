// A runbook with a manual approval run, approved and tracked end to end through the real CLI and
// the API against the real Temporal dev server and a real worker: list and show read the file and
// the templates; run starts runbook:NAME:ID; status shows the step waiting; an approval by someone
// not an approver (CLI, MERIDIAN_IDENTITY) is exit 3 with the workflow's reason; the approval
// through the API records the token's name; a second one is 409; the execution succeeds and
// status (by the short NAME:ID) shows who approved; executions are cancelled through the API and
// the CLI; an unknown runbook or execution is exit 3 / 404. The CLI's run, status and approve load
// no Temporal SDK client. Executions are found by MeridianRunbook and
// MeridianRunbookStatus, as Temporal UI filters them.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../config/load';
import type { RunbookExecutionState } from '../../workflows/runbookDefs';
import { meridianEnv, moduleRecorder, parseJson, runMeridian, SDK_CLIENT_MODULES } from '../helpers/meridianCli';
import { RunningWorker, startWorker, testAuthority } from '../helpers/meridianWorker';
import { eventually, readUntil } from '../helpers/polling';
import { testConnection, type TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

const ADMIN = 'runbook-surface-admin-0123456789';
const OPS = 'runbook-surface-ops-0123456789';
let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let worker: RunningWorker;
let configFile: string;
const started: string[] = [];

const meridian = (args: string[], extra: NodeJS.ProcessEnv = {}) => runMeridian(args, { cwd: work, env: { ...env, ...extra }, timeoutMs: 60_000 });
const status = async (execution: string) => parseJson<RunbookExecutionState>(await meridian(['runbook', 'status', execution, '--json']));

beforeAll(async () => {
  work = tempDir('runbook-surface');
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(
    configFile,
    [
      'runbooks:',
      '  sign-off-drill:',
      '    description: a pause, a sign-off, a pause',
      '    params: { ticket: { required: true } }',
      '    steps:',
      '      - { name: settle, kind: automated, action: wait, timeout: 1s }',
      '      - { name: sign-off, kind: manual, instructions: "check ticket ${ticket}", approvers: [alice, ops] }',
      '      - { name: finish, kind: automated, action: wait, timeout: 1s }',
      '  refused-command:',
      '    description: a command on a worker that runs none',
      '    steps:',
      '      - { name: try, kind: automated, action: command, params: { command: "true" } }',
      '      - { name: after, kind: automated, action: wait, timeout: 1s }',
      '',
    ].join('\n'),
  );
  env = { ...meridianEnv(work, 'rbsurf', 'unused'), MERIDIAN_CONFIG: configFile, MERIDIAN_RUNBOOKS_DIR: path.join(work, 'runbooks') };
  temporal = await testConnection();
  worker = await startWorker(temporal, 'unused', env.MERIDIAN_TASK_QUEUE, {
    workerConfig: { repositories: [], sourceRoots: 'any', restoreRoots: 'any', origin: { kind: 'command' }, runbooks: loadConfig(configFile)!.config.runbooks },
  });
});

afterAll(async () => {
  for (const id of started) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
  await worker?.stop();
  await temporal?.close();
});

describe('a runbook with an approval, through the CLI and the API', () => {
  const app = () => createApiApp({ client: temporal.client, authority: testAuthority('unused'), token: ADMIN, tokens: { ops: OPS }, taskQueue: env.MERIDIAN_TASK_QUEUE, config: loadConfig(configFile)!.config });
  const call = (method: string, route: string, token: string, body?: unknown) =>
    app().request(route, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

  it('lists and shows runbooks: the file, and the four built-in templates', async () => {
    const { runbooks } = parseJson<{ runbooks: Array<{ name: string; origin: string }> }>(await meridian(['runbook', 'list', '--json']));
    expect(runbooks.map((r) => [r.name, r.origin])).toEqual(
      expect.arrayContaining([['sign-off-drill', 'config'], ['datacenter-failover', 'template'], ['region-evacuation', 'template'], ['ransomware-recovery', 'template'], ['restore-drill', 'template']]),
    );
    const shown = await meridian(['runbook', 'show', 'sign-off-drill']);
    expect(shown.stdout).toContain('2. sign-off (manual, approvers alice, ops)');
    const unknown = await meridian(['runbook', 'show', 'no-such-runbook']);
    expect([unknown.code, unknown.stderr]).toEqual([3, expect.stringContaining('no runbook "no-such-runbook"')]);
    expect((await call('GET', '/v1/runbooks/no-such-runbook', OPS)).status).toBe(404);
    expect(await (await call('GET', '/v1/runbooks/sign-off-drill', OPS)).json()).toMatchObject({ name: 'sign-off-drill', origin: 'config' });
  });

  it('runs, waits for approval, refuses the wrong approver and a second approval, records who approved, and succeeds', async () => {
    const missing = await meridian(['runbook', 'run', 'sign-off-drill']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('needs parameter "ticket"')]);

    // On a configured cluster, run and status make their own gRPC calls: no Temporal SDK client is loaded.
    const runModules = moduleRecorder(work, 'run');
    const { workflowId } = parseJson<{ workflowId: string }>(await meridian(['runbook', 'run', 'sign-off-drill', '--param', 'ticket=INC-7', '--json'], { MERIDIAN_IDENTITY: 'alice', ...runModules.env }));
    started.push(workflowId);
    expect(runModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    expect(workflowId).toMatch(/^runbook:sign-off-drill:\S+$/);
    const short = workflowId.slice('runbook:'.length);
    const waiting = await readUntil('the sign-off to wait', () => status(short), (s) => s.steps.find((step) => step.name === 'sign-off')?.status === 'waiting-for-approval');
    expect(waiting).toMatchObject({ status: 'waiting-for-approval', startedBy: 'alice', params: { ticket: 'INC-7' } });
    const statusModules = moduleRecorder(work, 'status');
    const human = await meridian(['runbook', 'status', workflowId], statusModules.env);
    expect(human.stdout).toMatch(/sign-off +manual +waiting-for-approval .*waiting for alice, ops/);
    expect(statusModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);

    // Temporal UI's filter: MeridianRunbookStatus = "waiting-for-approval".
    await eventually('the execution in visibility', async () => {
      for await (const info of temporal.client.workflow.list({ query: `MeridianRunbook = 'sign-off-drill' AND MeridianRunbookStatus = 'waiting-for-approval'` })) {
        if (info.workflowId === workflowId) return true;
      }
      return undefined;
    });

    const approveModules = moduleRecorder(work, 'approve');
    const wrong = await meridian(['runbook', 'approve', short, 'sign-off'], { MERIDIAN_IDENTITY: 'mallory', ...approveModules.env });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meridian: .*mallory/)]);
    expect(approveModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);

    const approved = await call('POST', `/v1/runbooks/executions/${encodeURIComponent(workflowId)}/approve`, OPS, { step: 'sign-off', note: 'looks fine', by: 'alice' });
    expect(approved.status).toBe(400); // the body never names who decides
    const accepted = await call('POST', `/v1/runbooks/executions/${encodeURIComponent(workflowId)}/approve`, OPS, { step: 'sign-off', note: 'looks fine' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ name: 'sign-off', decision: { approved: true, by: 'ops', note: 'looks fine' } });
    const twice = await meridian(['runbook', 'approve', workflowId, 'sign-off', '--note', 'me too'], { MERIDIAN_IDENTITY: 'alice' });
    expect(twice.code).toBe(3);

    const done = await readUntil('the execution to succeed', () => status(short), (s) => s.status === 'succeeded');
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['settle', 'succeeded'],
      ['sign-off', 'succeeded'],
      ['finish', 'succeeded'],
    ]);
    const viaApi = (await (await call('GET', `/v1/runbooks/executions/${encodeURIComponent(short)}`, ADMIN)).json()) as RunbookExecutionState;
    expect(viaApi.steps[1]!.decision).toMatchObject({ by: 'ops', note: 'looks fine' });
    expect((await meridian(['runbook', 'status', workflowId])).stdout).toMatch(/approved by ops: looks fine/);
  });

  it('executions are cancelled through the API and the CLI, once; unknown executions are exit 3 / 404', async () => {
    const response = await call('POST', '/v1/runbooks/sign-off-drill/executions', ADMIN, { params: { ticket: 'INC-8' } });
    expect(response.status).toBe(202);
    const { workflowId } = (await response.json()) as { workflowId: string };
    started.push(workflowId);
    expect(response.headers.get('Location')).toBe(`/v1/runbooks/executions/${encodeURIComponent(workflowId)}`);
    await readUntil('the API execution to wait', () => status(workflowId), (s) => s.status === 'waiting-for-approval');
    expect((await status(workflowId)).startedBy).toBe('admin');
    expect((await call('POST', `/v1/runbooks/executions/${encodeURIComponent(workflowId)}/cancel`, OPS)).status).toBe(200);
    await readUntil('the execution to be cancelled', () => status(workflowId), (s) => s.status === 'cancelled');
    expect((await call('POST', `/v1/runbooks/executions/${encodeURIComponent(workflowId)}/cancel`, OPS)).status).toBe(409);

    const second = parseJson<{ workflowId: string }>(await meridian(['runbook', 'run', 'sign-off-drill', '--param', 'ticket=INC-9', '--json']));
    started.push(second.workflowId);
    await readUntil('the CLI execution to wait', () => status(second.workflowId), (s) => s.status === 'waiting-for-approval');
    const cancel = await meridian(['runbook', 'cancel', second.workflowId]);
    expect([cancel.code, cancel.stdout]).toEqual([0, `asked ${second.workflowId} to cancel\n`]);
    await readUntil('the CLI execution to be cancelled', () => status(second.workflowId), (s) => s.status === 'cancelled');
    const again = await meridian(['runbook', 'cancel', second.workflowId]);
    expect([again.code, again.stderr]).toEqual([3, `meridian: ${second.workflowId} is not running (cancelled)\n`]);

    const unknown = await meridian(['runbook', 'status', 'sign-off-drill:nothing']);
    expect([unknown.code, unknown.stderr]).toEqual([3, expect.stringContaining('no runbook execution runbook:sign-off-drill:nothing')]);
    expect((await call('GET', '/v1/runbooks/executions/runbook%3Asign-off-drill%3Anothing', OPS)).status).toBe(404);
  });
});

test('run --wait on an execution that fails prints its state (every step, the error) and exits 1', async () => {
  const json = await meridian(['runbook', 'run', 'refused-command', '--wait', '--json']);
  expect(json.code).toBe(1);
  const state = JSON.parse(json.stdout) as RunbookExecutionState;
  started.push(state.workflowId);
  expect(state.status).toBe('failed');
  expect(state.steps.map((s) => [s.name, s.status])).toEqual([['try', 'failed'], ['after', 'pending']]);
  expect(state.steps[0]!.error).toMatch(/runs no runbook commands/);
  const human = await meridian(['runbook', 'run', 'refused-command', '--wait']);
  expect(human.code).toBe(1);
  expect(human.stdout).toMatch(/^runbook:refused-command:\S+: failed; started /);
  expect(human.stdout).toMatch(/try +command +failed .*error: this worker runs no runbook commands/);
  started.push(human.stdout.split(':').slice(0, 3).join(':'));
});
