// The web dashboard in a real headless Chromium (Debian's, through puppeteer-core) against
// `meridian server`'s app on a real listener, the real Temporal dev server and a real worker: a
// page asks for the login, a token signs in (an HttpOnly, SameSite=Strict cookie), every page loads
// without a console error or a failed request, a backup that just ran shows on the Sources and
// Operations pages, and clicking Approve on a waiting runbook step advances the execution to
// success, recorded under the token's name. A form POST from another origin is refused, and the
// API's bearer routes are untouched. The SLA monitor runs (seeded with a day of evaluations) so
// the Sources and SLAs pages show RPO against target, a history chart and compliance. Screenshots
// of each page go to MERIDIAN_SCREENSHOTS_DIR (`docs/` for the README) or a temporary folder.

import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createApiApp } from '../../api/app';
import { startOperation } from '../../api/operations';
import { serveApi, type ServedApi } from '../../api/serve';
import { loadConfig } from '../../config/load';
import { executionStatus, startRunbook } from '../../control/runbooks';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { startWorker, testAuthority, type RunningWorker } from '../helpers/meridianWorker';
import { readUntil } from '../helpers/polling';
import { deleteSchedules } from '../helpers/schedules';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';
import { tempDir, writeTree } from '../helpers/trees';
import { configuredAuthority } from '../../worker/authority';
import type { WorkerConfig } from '../../worker/workerConfig';
import { repositoryLocationKey } from '../../storage/open';
import { evaluateSlas, initialSlaState, recordObservation } from '../../workflows/slaLogic';
import { SLA_MONITOR_WORKFLOW_ID, slaStatusQuery, type SlaDefinition, type SlaMonitorState } from '../../workflows/slaDefs';

const PASS = 'dashboard-pass';
const ADMIN = 'dashboard-admin-token-0123456789';
const OPS = 'dashboard-ops-token-0123456789';
const SCHEDULE_ID = 'meridian:dashboard-nightly-tiles';
const SLAS: SlaDefinition[] = [
  { name: 'tiles-gold', enabled: true, sources: ['tiles'], rpoSeconds: 4 * 3600, rtoSeconds: 3600, rtoTestedWithinSeconds: 30 * 86_400 },
  { name: 'imagery-silver', enabled: true, sources: ['imagery'], rpoSeconds: 24 * 3600, rtoSeconds: 4 * 3600, rtoTestedWithinSeconds: 30 * 86_400 },
];

/**
 * A day of the SLA monitor's past, evaluated by its own rules every 20 minutes: tiles backed up
 * every 5 hours against a 4 h RPO (over target for an hour each time), imagery never.
 */
function seededState(now: Date): SlaMonitorState {
  const state = initialSlaState();
  const step = 20 * 60_000;
  for (let at = now.getTime() - 86_400_000; at < now.getTime() - step; at += step) {
    const lastBackup = at - (at % (5 * 3_600_000));
    recordObservation(state, {
      sources: [
        { source: 'tiles', repository: 'main', lastGoodSnapshotAt: new Date(lastBackup).toISOString(), snapshotCount: 5, lastRecovery: { kind: 'restore', at: new Date(now.getTime() - 86_400_000).toISOString(), seconds: 900, workflowId: 'restore:seeded' } },
        { source: 'imagery', repository: 'main', snapshotCount: 0 },
      ],
      repositories: [{ repository: 'main', snapshotCount: 5, sizeBytes: 3 << 20 }],
    });
    evaluateSlas(state, SLAS, new Date(at));
  }
  return state;
}

let t: TestConnection;
let worker: RunningWorker;
let server: ServedApi;
let browser: Browser;
let base: string;
let work: string;
let sourceDir: string;
let repoDir: string;
let imageryDir: string;
const screenshots = process.env.MERIDIAN_SCREENSHOTS_DIR ? path.resolve(process.env.MERIDIAN_SCREENSHOTS_DIR) : tempDir('dashboard-shots');
const started: string[] = [];
/** Console errors, uncaught page errors and failed requests of every page, checked after each test. */
const problems: string[] = [];

beforeAll(async () => {
  work = tempDir('dashboard');
  repoDir = path.join(work, 'repo');
  sourceDir = path.join(work, 'tiles');
  fs.mkdirSync(repoDir);
  await Repository.init(new LocalStorage(repoDir), PASS, {});
  writeTree(sourceDir, { smallFiles: 20, largeFiles: [200 * 1024] });
  imageryDir = path.join(work, 'imagery');
  writeTree(imageryDir, { smallFiles: 3 });
  const configFile = path.join(work, 'meridian.yaml');
  fs.writeFileSync(
    configFile,
    [
      'repositories:',
      `  main: { url: ${repoDir} }`,
      'sources:',
      `  tiles: { path: ${sourceDir}, repository: main }`,
      `  imagery: { path: ${imageryDir}, repository: main }`,
      'runbooks:',
      '  restore-sign-off:',
      '    description: a pause, a sign-off, a pause',
      '    steps:',
      '      - { name: prepare, kind: automated, action: wait, timeout: 1s }',
      '      - { name: sign-off, kind: manual, instructions: "check the restored tiles", approvers: [ops] }',
      '      - { name: finish, kind: automated, action: wait, timeout: 1s }',
      '',
    ].join('\n'),
  );
  const config = loadConfig(configFile)!.config;
  t = await testConnection();
  const taskQueue = uniqueTaskQueue('dashboard');
  const workerConfig: WorkerConfig = {
    repositories: [{ name: 'main', url: repoDir, key: repositoryLocationKey(repoDir) }],
    sourceRoots: [work],
    restoreRoots: [path.dirname(work)],
    sources: config.sources,
    runbooks: config.runbooks,
    origin: { kind: 'command' },
  };
  worker = await startWorker(t, PASS, taskQueue, { authority: configuredAuthority(workerConfig, { passphrase: PASS }), workerConfig });
  await t.client.schedule.create({
    scheduleId: SCHEDULE_ID,
    spec: { cronExpressions: ['0 2 * * *'] },
    action: { type: 'startWorkflow', workflowType: 'scheduledBackupWorkflow', taskQueue, args: [] },
  });
  await t.client.workflow.start('slaMonitorWorkflow', {
    taskQueue,
    workflowId: SLA_MONITOR_WORKFLOW_ID,
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    args: [{ slas: SLAS, sources: ['tiles', 'imagery'], repositories: ['main'], intervalSeconds: 1, carried: seededState(new Date()) }],
  });
  started.push(SLA_MONITOR_WORKFLOW_ID);
  server = await serveApi(createApiApp({ client: t.client, authority: testAuthority(PASS), token: ADMIN, tokens: { ops: OPS }, taskQueue, config }), 0);
  base = `http://127.0.0.1:${server.port}`;
  browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const id of started) await t.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  if (t) await deleteSchedules(t.client, [SCHEDULE_ID]);
  await worker?.stop();
  await t?.close();
});

afterEach(() => {
  expect(problems).toEqual([]);
  problems.length = 0;
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${page.url()})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  return page;
}

let signedIn: Page | undefined;

/** One page signed in as `ops` for the tests that follow. */
async function opsPage(): Promise<Page> {
  if (signedIn) return signedIn;
  const page = await newPage();
  await page.goto(`${base}/sources`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.type('#token', OPS);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(new URL(page.url()).pathname).toBe('/sources');
  signedIn = page;
  return page;
}

async function show(page: Page, pathname: string): Promise<string> {
  const response = await page.goto(`${base}${pathname}`);
  expect({ pathname, status: response?.status() }).toEqual({ pathname, status: 200 });
  return page.$eval('main', (main) => (main as unknown as { innerText: string }).innerText);
}

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `dashboard-${name}.png`), fullPage: true });
}

describe('the dashboard in headless Chromium', () => {
  it('asks for a token, refuses a wrong one, and keeps a valid one in an HttpOnly SameSite=Strict cookie', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login');
    const wrong = await fetch(`${base}/login`, { method: 'POST', headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=not-a-token' });
    expect([wrong.status, wrong.headers.get('set-cookie')]).toEqual([401, null]);
    await page.close();

    const ops = await opsPage();
    const cookies = await ops.browserContext().cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'meridian_session', httpOnly: true, sameSite: 'Strict' })]);
    expect(await ops.evaluate('document.cookie')).toBe('');
    expect(await ops.$eval('header', (h) => (h as unknown as { innerText: string }).innerText)).toContain('ops');
  });

  it('shows a backup that just ran on the Sources and Operations pages', async () => {
    const run = await startOperation(t.client, 'backup', { repo: 'main', path: sourceDir, type: 'full' }, worker.taskQueue);
    started.push(run.workflowId);
    const { snapshotId } = await run.result();
    // A restore drill measures the RTO; the monitor sees both at its next evaluations: tiles compliant.
    const drill = await startOperation(t.client, 'restore', { repo: 'main', snapshot: snapshotId, target: tempDir('dashboard-restore') }, worker.taskQueue);
    await drill.result();
    await readUntil('the monitor to see the backup and the drill', () => t.client.workflow.getHandle(SLA_MONITOR_WORKFLOW_ID).query(slaStatusQuery), (v) => v.slas[0]?.compliant === true);
    const page = await opsPage();
    const sources = await readUntil('the backup on the Sources page', () => show(page, '/sources'), (text) => text.includes(run.workflowId));
    expect(sources).toMatch(/tiles[\s\S]*main[\s\S]*completed[\s\S]*within target/);
    expect(sources).toMatch(/imagery[\s\S]*no good snapshot/);
    expect(await page.$$eval('tr[data-source="tiles"] svg.chart polyline', (lines) => lines.length)).toBe(1);
    await screenshot(page, 'sources');
    // A backup no worker has picked up yet runs with a progress bar of unknown extent.
    const waiting = await startOperation(t.client, 'backup', { repo: 'main', path: imageryDir, type: 'full' }, uniqueTaskQueue('dashboard-idle'));
    started.push(waiting.workflowId);
    const operations = await readUntil('both backups on the Operations page', () => show(page, '/operations'), (text) => text.includes(run.workflowId) && text.includes(waiting.workflowId));
    expect(operations).toMatch(/Running[\s\S]*backup\s+main[\s\S]*Recent[\s\S]*restore[\s\S]*backup\s+main[\s\S]*completed/);
    expect(await page.$eval(`tr[data-workflow-id="${waiting.workflowId}"] [role=progressbar]`, (bar) => bar.className)).toBe('bar unknown');
    expect(await page.$eval('head', (head) => head.querySelector('meta[http-equiv=refresh]')?.getAttribute('content'))).toBe('5');
    await screenshot(page, 'operations');
    await waiting.terminate('shown');
  });

  it('approves a waiting runbook step with a click, as the signed-in token, and the execution finishes', async () => {
    const workflowId = await startRunbook(sdkWorkflowCalls(t.client), { runbooks: loadConfig(path.join(work, 'meridian.yaml'))!.config.runbooks }, 'restore-sign-off', { params: {} }, 'ops', worker.taskQueue);
    started.push(workflowId);
    const page = await opsPage();
    const button = `h2[data-execution="${workflowId}"] + p + table tr[data-step="sign-off"] button.approve`;
    await readUntil('the Approve button', async () => { await show(page, '/runbooks'); return page.$(button); }, (found) => found !== null);
    await screenshot(page, 'runbooks');

    await page.type(`h2[data-execution="${workflowId}"] + p + table tr[data-step="sign-off"] form.approve input[name=note]`, 'tiles look right');
    await Promise.all([page.waitForNavigation(), page.click(button)]);
    expect(await page.$eval('.flash', (f) => (f as unknown as { innerText: string }).innerText)).toBe('Step sign-off approved.');

    const done = await readUntil('the execution to succeed', () => executionStatus(sdkWorkflowCalls(t.client), workflowId), (s) => s.status === 'succeeded');
    expect(done.steps[1]!.decision).toMatchObject({ approved: true, by: 'ops', note: 'tiles look right' });
    const text = await readUntil('the page to show it', () => show(page, '/runbooks'), (body) => body.includes('approved by ops'));
    expect(text).toContain('tiles look right');
  });

  it('loads the Repositories, Schedules and SLAs pages', async () => {
    const page = await opsPage();
    expect(await show(page, '/repositories')).toMatch(/main\s/);
    await screenshot(page, 'repositories');
    expect(await show(page, '/schedules')).toContain('dashboard-nightly-tiles');
    await screenshot(page, 'schedules');
    const slas = await show(page, '/slas');
    expect(slas).toMatch(/tiles-gold\s+tiles\s+compliant/);
    expect(slas).toMatch(/imagery-silver\s+imagery\s+not compliant[\s\S]*rpo imagery: never/);
    // The seeded day: tiles over its 4 h target one hour in five, so under 100 % over 24 h.
    const cells = await page.$$eval('tr[data-sla="tiles-gold"] td', (tds) => tds.map((td) => (td as unknown as { innerText: string }).innerText));
    const day = Number.parseFloat(cells[4]!);
    expect([day > 50, day < 100, cells[4]]).toEqual([true, true, expect.stringMatching(/^\d+\.\d %$/)]);
    await screenshot(page, 'slas');
  });

  it('refuses a dashboard POST from another origin, and leaves the bearer API as it was', async () => {
    const cookie = (await (await opsPage()).browserContext().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const forged = await fetch(`${base}/runbooks/${encodeURIComponent('runbook:restore-sign-off:x')}/decide`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'step=sign-off&decision=approve',
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect((await fetch(`${base}/v1/schedules`, { headers: { Cookie: cookie } })).status).toBe(401);
    expect((await fetch(`${base}/v1/schedules`, { headers: { Authorization: `Bearer ${OPS}` } })).status).toBe(200);
    expect((await fetch(`${base}/sources`, { redirect: 'manual' })).status).toBe(303);
  });
});
