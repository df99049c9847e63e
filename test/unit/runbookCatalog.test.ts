// Runbooks: the built-in templates are valid runbooks; resolution goes meridian.yaml, then the
// runbooks directory (a name in both is an error), then the templates, which either may shadow;
// a malformed file's error names the file and the key; parameters are checked (unknown, missing
// required: one line each), defaulted and substituted, keeping a whole reference's type; earlier
// steps' results are substituted by reference.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunbookSchema } from '../../config/runbookSchema';
import { parseConfig } from '../../config/load';
import { RepositoryError } from '../../core/errors';
import { listRunbooks, resolveRunbook } from '../../runbooks/catalog';
import { resolveParams, substituteParams } from '../../runbooks/parameters';
import { resolveStepReferences } from '../../runbooks/stepReferences';
import { RUNBOOK_TEMPLATES } from '../../runbooks/templates/index';

const TEMPLATE_NAMES = ['datacenter-failover', 'ransomware-recovery', 'region-evacuation', 'restore-drill'];

function runbooksDir(files: Record<string, string>): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-runbooks-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { MERIDIAN_RUNBOOKS_DIR: dir };
}

const CONFIG = parseConfig(
  `runbooks:
  restore-drill:
    description: our own drill
    steps:
      - { name: pause, kind: automated, action: wait, timeout: 1s }
  notify:
    description: tell the on-call
    params:
      url: { required: true }
      tries: { default: 3 }
    steps:
      - { name: post, kind: automated, action: http, params: { url: "\${url}", count: "\${tries}", note: "try \${tries} of \${url}" } }
      - { name: ack, kind: manual, instructions: "check \${url}", approvers: [alice] }
`,
  '/etc/meridian/meridian.yaml',
);

test('every built-in template is a valid, documented runbook', () => {
  expect(Object.keys(RUNBOOK_TEMPLATES).sort()).toEqual(TEMPLATE_NAMES);
  for (const [name, template] of Object.entries(RUNBOOK_TEMPLATES)) {
    const parsed = RunbookSchema.safeParse(template);
    expect({ name, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ name, issues: [] });
    for (const [param, spec] of Object.entries(parsed.data!.params)) expect({ param, description: spec.description?.length ?? 0 }).not.toEqual({ param, description: 0 });
  }
});

test('the list has config, file and template runbooks, and says which shadow a template', () => {
  const env = runbooksDir({ 'weekly.yaml': 'description: weekly check\nsteps:\n  - { name: w, kind: automated, action: wait, timeout: 1s }\n', 'notes.txt': 'not a runbook' });
  const list = listRunbooks(CONFIG, env);
  expect(list.map(({ name, origin, shadowsTemplate }) => ({ name, origin, shadowsTemplate }))).toEqual([
    { name: 'datacenter-failover', origin: 'template', shadowsTemplate: false },
    { name: 'notify', origin: 'config', shadowsTemplate: false },
    { name: 'ransomware-recovery', origin: 'template', shadowsTemplate: false },
    { name: 'region-evacuation', origin: 'template', shadowsTemplate: false },
    { name: 'restore-drill', origin: 'config', shadowsTemplate: true },
    { name: 'weekly', origin: 'file', shadowsTemplate: false },
  ]);
  expect(list.find((r) => r.name === 'weekly')?.file).toBe(path.join(env.MERIDIAN_RUNBOOKS_DIR!, 'weekly.yaml'));
  expect(resolveRunbook(CONFIG, 'restore-drill', env).runbook.description).toBe('our own drill');
});

test('a name in meridian.yaml and in the runbooks directory is an error; an unknown one is not-found', () => {
  const env = runbooksDir({ 'notify.yaml': 'description: twice\nsteps:\n  - { name: w, kind: automated, action: wait }\n' });
  expect(() => resolveRunbook(CONFIG, 'notify', env)).toThrow(/runbook "notify" is defined both in meridian.yaml's runbooks and in .*notify.yaml/);
  expect(() => resolveRunbook(CONFIG, 'nope', env)).toThrow(expect.objectContaining({ code: 'not-found' }));
  expect(() => resolveRunbook(CONFIG, '../etc/passwd', env)).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
});

test("a malformed runbook file's error is one line naming the file and the key path", () => {
  const env = runbooksDir({ 'bad.yaml': 'description: bad\nsteps:\n  - { name: a, kind: automated, action: teleport }\n', 'odd.yaml': 'description: odd\nsteps:\n  - { name: a, kind: manual, colour: red }\n' });
  const file = path.join(env.MERIDIAN_RUNBOOKS_DIR!, 'bad.yaml');
  const err = (() => {
    try {
      resolveRunbook(undefined, 'bad', env);
    } catch (e) {
      return e as RepositoryError;
    }
  })();
  expect(err?.code).toBe('invalid-argument');
  expect(err?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: steps\\.0\\.action: `));
  expect(err?.message).not.toContain('\n');
  expect(() => resolveRunbook(undefined, 'odd', env)).toThrow(/odd\.yaml: steps\.0\.colour: /);
  // The list reports the broken file rather than hiding it.
  expect(() => listRunbooks(undefined, env)).toThrow(/bad\.yaml|odd\.yaml/);
});

test('parameters: unknown or missing required ones are one-line errors; defaults fill in; substitution keeps a whole reference typed', () => {
  const notify = CONFIG.runbooks.notify!;
  expect(() => resolveParams('notify', notify, { url: 'http://x', color: 'red' })).toThrow('runbook "notify" has no parameter "color" (its parameters: url, tries)');
  expect(() => resolveParams('notify', notify, {})).toThrow(/^runbook "notify" needs parameter "url": --param url=VALUE$/);
  const values = resolveParams('notify', notify, { url: 'http://hook' });
  expect(values).toEqual({ url: 'http://hook', tries: 3 });
  const substituted = substituteParams('notify', notify, values);
  expect(substituted.steps[0]!.params).toEqual({ url: 'http://hook', count: 3, note: 'try 3 of http://hook' });
  expect(substituted.steps[1]!.instructions).toBe('check http://hook');
  const undeclared = { ...notify, steps: [{ ...notify.steps[0]!, params: { url: '${nope}' } }] };
  expect(() => substituteParams('notify', undeclared, values)).toThrow('runbook "notify" step "post" uses ${nope}, which is not one of its parameters');
});

test("a template's own parameters resolve, and step references wait for the workflow", () => {
  const drill = resolveRunbook(undefined, 'restore-drill', {});
  const values = resolveParams('restore-drill', drill.runbook, { repo: 'tiles', source: '/data', target: '/scratch' });
  const steps = substituteParams('restore-drill', drill.runbook, values).steps;
  expect(steps.find((s) => s.name === 'restore')!.params).toEqual({ repo: 'tiles', snapshot: '${steps.find-latest.snapshotId}', target: '/scratch' });
  expect(resolveStepReferences(steps.find((s) => s.name === 'restore')!.params, { 'find-latest': { snapshotId: 'abc123' } })).toEqual({ repo: 'tiles', snapshot: 'abc123', target: '/scratch' });
  expect(() => resolveStepReferences({ s: 'id ${steps.find-latest.snapshotId}' }, {})).toThrow('${steps.find-latest.snapshotId} has no value: step "find-latest" has not run or has no result field "snapshotId"');
});
