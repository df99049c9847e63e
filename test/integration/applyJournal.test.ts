// `meridian apply` and `meridian journal` with the file-set journal, through the real CLI against the
// test Temporal server: a source's `journal:` entry starts `journal:<repo>:<path>` with its settings
// in the memo; a second apply changes nothing; a changed interval or exclude list restarts it (a new run); an entry
// removed stops it. `meridian journal` starts and stops one by hand. No worker polls the task queue:
// a journal stays Running, which is all apply needs, and a stop (a cancellation nobody handles) ends
// in its termination after the grace period.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { journalWorkflowId } from '../../workflows/journalDefs';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { testConnection, type TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

interface JournalEntry {
  workflowId: string;
  action: string;
  why: string;
}

let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let configFile: string;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const apply = async () => parseJson<{ journals: JournalEntry[] }>(await meridian('apply', '--config', configFile, '--json'));
const journalId = () => journalWorkflowId('main', path.join(work, 'tiles'));
const describe_ = () => temporal.client.workflow.getHandle(journalId()).describe();

function writeConfig(journal: string | undefined, exclude?: string): void {
  const lines = [
    'repositories:',
    `  main: { url: '${path.join(work, 'repo')}', passwordFile: ${path.join(work, 'pass')} }`,
    'sources:',
    `  tiles: { path: ${path.join(work, 'tiles')}, repository: main${journal === undefined ? '' : `, journal: ${journal}`}${exclude === undefined ? '' : `, exclude: ${exclude}`} }`,
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  work = tempDir('apply-journal');
  mkdirSync(path.join(work, 'tiles'));
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'pass'), 'not used by apply\n');
  env = { ...meridianEnv(work, 'applyjournal', 'unused'), MERIDIAN_CONFIG: configFile };
  temporal = await testConnection();
});

afterAll(async () => {
  await temporal.client.workflow.getHandle(journalId()).terminate('test over').catch(() => undefined);
  await temporal?.close();
});

test('apply starts, keeps, restarts and stops a source journal', async () => {
  writeConfig('{ interval: 5s }');
  expect((await apply()).journals).toEqual([{ source: 'tiles', workflowId: journalId(), action: 'start', why: 'not running' }]);
  const started = await describe_();
  expect(started).toMatchObject({ type: 'journalWorkflow', status: { name: 'RUNNING' }, memo: { managedBy: 'meridian apply', config: configFile } });
  expect(started.memo?.journalSettings).toEqual({ repo: 'main', source: path.join(work, 'tiles'), intervalSeconds: 5 });
  expect((await apply()).journals[0]!.action).toBe('running');

  writeConfig('{ interval: 7s }');
  expect((await apply()).journals[0]!.action).toBe('restart');
  const restarted = await describe_();
  expect(restarted.runId).not.toBe(started.runId);
  expect(restarted.memo?.journalSettings).toMatchObject({ intervalSeconds: 7 });

  writeConfig('{ interval: 7s }', "['*.tmp']");
  expect((await apply()).journals[0]!.action).toBe('restart');
  expect((await describe_()).memo?.journalSettings).toMatchObject({ intervalSeconds: 7, excludes: ['*.tmp'] });

  writeConfig(undefined);
  expect((await apply()).journals).toEqual([{ source: path.join(work, 'tiles'), workflowId: journalId(), action: 'stop', why: 'its journal entry is no longer in meridian.yaml' }]);
  expect((await describe_()).status.name).toBe('TERMINATED');
  expect((await apply()).journals).toEqual([]);
}, 120_000);

test('meridian journal starts one by hand and --stop stops it', async () => {
  writeConfig(undefined);
  const started = parseJson<{ workflowId: string; intervalSeconds: number }>(await meridian('journal', 'tiles', '--interval', '3s', '--json'));
  expect(started).toMatchObject({ workflowId: journalId(), intervalSeconds: 3 });
  expect((await describe_()).status.name).toBe('RUNNING');
  expect(parseJson(await meridian('journal', 'tiles', '--stop', '--json'))).toEqual({ workflowId: journalId(), stopped: true });
  expect((await describe_()).status.name).toBe('TERMINATED');
  const usage = await meridian('journal', 'tiles', '--interval', '1500ms');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('--interval must be whole seconds');
  const excluded = await meridian('journal', 'tiles', '--exclude', '*.tmp');
  expect(excluded.code).toBe(2);
  expect(excluded.stderr).toContain('takes its excludes from meridian.yaml');
}, 120_000);
