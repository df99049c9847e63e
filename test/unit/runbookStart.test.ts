// What an execution is checked for before it starts (runbooks/parameters.ts prepareRunbook) and
// how an http step reports a failure: a value given as text takes its parameter's type ("true"
// for a boolean, "3" for a number; anything else is refused), a step reference must name an
// earlier step, and a URL with credentials is refused; a failed request's error never quotes
// fetch's own message (it may hold the whole URL, query tokens included).

import { MockActivityEnvironment } from '@temporalio/testing';
import { parseConfig } from '../../config/load';
import { createRunbookActivities } from '../../activities/runbook';
import type { ActivityDeps } from '../../activities/index';
import { prepareRunbook, resolveParams } from '../../runbooks/parameters';
import { planStep } from '../../workflows/runbookSteps';

const CONFIG = parseConfig(
  `runbooks:
  checks:
    description: typed parameters
    params:
      deep: { default: false }
      tries: { default: 3 }
      hook: { default: "http://hooks.example/ok" }
    steps:
      - { name: find, kind: automated, action: find-snapshot, params: { repo: r, deepVerify: "\${deep}" } }
      - { name: post, kind: automated, action: http, params: { url: "\${hook}" } }
  backwards:
    description: refers to a later step
    steps:
      - { name: restore, kind: automated, action: restore, params: { repo: r, target: /t, snapshot: "\${steps.find.snapshotId}" } }
      - { name: find, kind: automated, action: find-snapshot, params: { repo: r } }
  forwards:
    description: refers to an earlier step
    steps:
      - { name: find, kind: automated, action: find-snapshot, params: { repo: r } }
      - { name: restore, kind: automated, action: restore, params: { repo: r, target: /t, snapshot: "id \${steps.find.snapshotId}" } }
`,
  '/etc/meridian/meridian.yaml',
).runbooks;

test('a parameter given as text takes the type of its default; a value of the wrong kind is a one-line error', () => {
  const checks = CONFIG.checks!;
  expect(resolveParams('checks', checks, { deep: 'true', tries: '5' })).toEqual({ deep: true, tries: 5, hook: 'http://hooks.example/ok' });
  expect(resolveParams('checks', checks, { deep: 'false' }).deep).toBe(false);
  expect(prepareRunbook('checks', checks, { deep: 'true' }).runbook.steps[0]!.params.deepVerify).toBe(true);
  expect(() => resolveParams('checks', checks, { deep: 'yes' })).toThrow(/^runbook "checks" parameter "deep" is true or false, not "yes"$/);
  expect(() => resolveParams('checks', checks, { tries: 'many' })).toThrow(/^runbook "checks" parameter "tries" is a number, not "many"$/);
});

test('a step reference must name an earlier step, checked before the execution starts', () => {
  expect(() => prepareRunbook('backwards', CONFIG.backwards!, {})).toThrow(/^runbook "backwards" step "restore" uses \$\{steps\.find\.snapshotId\}, but "find" is not an earlier step$/);
  expect(prepareRunbook('forwards', CONFIG.forwards!, {}).runbook.steps[1]!.params.snapshot).toBe('id ${steps.find.snapshotId}');
});

test('an http URL with credentials is refused at the start, naming the URL without them; a plan never shows them', () => {
  const start = () => prepareRunbook('checks', CONFIG.checks!, { hook: 'https://ops:hunter2@hooks.example/x?token=abc' });
  expect(start).toThrow(/^runbook "checks" step "post": the URL https:\/\/hooks\.example\/x has credentials in it/);
  expect(start).not.toThrow(/hunter2|abc/);
  const step = CONFIG.checks!.steps[1]!;
  expect(planStep(step, { url: 'https://ops:hunter2@hooks.example/x?token=abc' }).wouldDo).toBe('POST https://hooks.example/x with an Idempotency-Key');
});

test("a failed request's error names the URL without credentials or query, never fetch's message", async () => {
  const activities = createRunbookActivities({} as ActivityDeps);
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'runbook:x:1', runId: 'r' } });
  const failure = (url: string) => env.run(() => activities.runbookHttp({ url, method: 'POST', idempotencyKey: 'k', timeoutMs: 5_000 })).then(() => undefined, (err: Error) => err.message);
  const invalid = await failure('http://hooks.example:99999/x?token=s3cret');
  expect(invalid).toMatch(/^POST http:\/\/hooks\.example:99999\/x failed: TypeError/);
  expect(invalid).not.toContain('s3cret');
  expect(await failure('https://ops:hunter2@hooks.example/x')).toBe('POST https://hooks.example/x: the URL has credentials in it (user:password@); refused');
});
