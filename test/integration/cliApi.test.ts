// The CLI as a client of a real `meridian server`'s HTTP API (MERIDIAN_API_URL and
// MERIDIAN_API_TOKEN, no Temporal address): backup, restore (byte-identical), verify (of a
// repository named only in the server's configuration), unlock and repair run on the server's worker, which opens
// the repository with its own passphrase; the CLI process loads no Temporal SDK and no zod (a
// module hook records every package it loads). Refusals keep the CLI's exit codes: a wrong token
// 2, a repository the server does not serve 5, a server that does not answer 4; the token never
// appears in what the CLI prints.

import fs from 'node:fs';
import path from 'node:path';
import { freePorts } from '../../worker/freePorts';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianServer } from '../helpers/meridianCli';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

jest.setTimeout(180_000);

const PASSPHRASE = 'the server passphrase';
const TOKEN = 'cli-api-token-0123456789';

const work = tempDir('cli-api');
const repo = path.join(work, 'repo');
const otherRepo = path.join(work, 'other-repo');
const source = path.join(work, 'source');
const serverEnv: NodeJS.ProcessEnv = { ...meridianEnv(work, 'cli-api', PASSPHRASE, [repo, { name: 'tiles', url: repo }]), MERIDIAN_API_TOKEN: TOKEN };
const loadedFile = path.join(work, 'loaded-packages.txt');
const hook = path.join(work, 'record-packages.js');
let server: MeridianWorkerProcess | undefined;
let apiUrl = '';

/** The CLI's environment: the API's URL and token, its own empty home, no Temporal address and no passphrase. */
function cliEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { TEMPORAL_ADDRESS: _address, MERIDIAN_TASK_QUEUE: _queue, MERIDIAN_PASSWORD: _passphrase, MERIDIAN_SOURCE_ROOTS: _s, MERIDIAN_RESTORE_ROOTS: _r, ...rest } = serverEnv;
  return { ...rest, MERIDIAN_HOME: path.join(work, 'cli-home'), MERIDIAN_API_URL: apiUrl, MERIDIAN_API_TOKEN: TOKEN, ...overrides };
}

const run = (args: string[], env = cliEnv()) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

beforeAll(async () => {
  // A preload that writes the name of every package the process loaded, at its exit.
  fs.writeFileSync(
    hook,
    `const Module = require('module');
const seen = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
    if (match) seen.add(match[1]);
  } catch {}
  return load.apply(this, arguments);
};
process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loadedFile)}, [...seen].join('\\n')));
`,
  );
  expect(await runMeridian(['init', '--repo', repo], { cwd: work, env: serverEnv, timeoutMs: 60_000 })).toMatchObject({ code: 0 });
  expect(await runMeridian(['init', '--repo', otherRepo], { cwd: work, env: serverEnv, timeoutMs: 60_000 })).toMatchObject({ code: 0 });
  writeTree(source, { smallFiles: 12, largeFiles: [300_000] });
  const [port] = (await freePorts(1)) as [number];
  apiUrl = `http://127.0.0.1:${port}`;
  server = await startMeridianServer(serverEnv, port);
});

afterAll(async () => {
  await server?.stop();
});

test('backup, restore and verify run through the API, and the CLI loads neither the Temporal SDK nor zod', async () => {
  const backup = await run(['backup', source, '--repo', repo, '--json'], cliEnv({ NODE_OPTIONS: `--require ${hook}` }));
  expect(backup).toMatchObject({ code: 0 });
  const loaded = fs.readFileSync(loadedFile, 'utf8').split('\n').filter(Boolean);
  expect(loaded.filter((name) => name.startsWith('@temporalio/') || name === 'zod' || name.startsWith('@grpc/'))).toEqual([]);
  const saved = parseJson<{ snapshotId: string; workflowId: string; filesNew: number }>(backup);
  expect(saved).toMatchObject({ snapshotId: expect.stringMatching(/^[0-9a-f]{64}$/), workflowId: expect.stringMatching(/^backup:/), filesNew: 15 });

  const target = path.join(work, 'restored');
  const restore = await run(['restore', saved.snapshotId.slice(0, 8), '--repo', repo, '--target', target]);
  expect(restore).toMatchObject({ code: 0 });
  expectSameTree(source, target);

  // A name only the server's repositories.json knows is passed on for it to resolve.
  const verify = await run(['verify', '--repo', 'tiles', '--json']);
  expect(verify).toMatchObject({ code: 0 });
  expect(parseJson(verify)).toMatchObject({ ok: true });
});

test('unlock and repair go through the API too, still loading neither the Temporal SDK nor zod', async () => {
  const unlock = await run(['unlock', '--repo', 'tiles', '--json'], cliEnv({ NODE_OPTIONS: `--require ${hook}` }));
  expect(unlock).toMatchObject({ code: 0 });
  expect(parseJson(unlock)).toMatchObject({ workflowId: expect.stringMatching(/^unlock:/), force: false, removedCount: 0, keptCount: 0 });
  const loaded = fs.readFileSync(loadedFile, 'utf8').split('\n').filter(Boolean);
  expect(loaded.filter((name) => name.startsWith('@temporalio/') || name === 'zod' || name.startsWith('@grpc/'))).toEqual([]);

  const index = await run(['repair', 'index', '--repo', repo, '--json']);
  expect(index).toMatchObject({ code: 0 });
  expect(parseJson(index)).toMatchObject({ workflowId: expect.stringMatching(/^repair-index:/), packsUnreadable: 0 });
  const snapshots = await run(['repair', 'snapshots', '--repo', repo]);
  expect(snapshots).toMatchObject({ code: 0 });
  expect(snapshots.stdout).toMatch(/checked 1 snapshot: 0 repaired/);
});

test('a repository the server does not serve is refused with exit 5', async () => {
  const refused = await run(['backup', source, '--repo', otherRepo]);
  expect(refused.code).toBe(5);
  expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meridian: the API server answered 403: .*refused repository/)]);
});

test('a wrong token exits 2 and an unreachable server 4, each with one line that never shows the token', async () => {
  const wrongToken = 'not-the-token-9876';
  const unauthorized = await run(['backup', source, '--repo', repo], cliEnv({ MERIDIAN_API_TOKEN: wrongToken }));
  expect(unauthorized.code).toBe(2);
  expect(unauthorized.stderr.trim().split('\n')).toEqual([expect.stringMatching(/refused MERIDIAN_API_TOKEN: the bearer token is not valid$/)]);
  expect(unauthorized.stdout + unauthorized.stderr).not.toContain(wrongToken);

  const [closedPort] = (await freePorts(1)) as [number];
  const unreachable = await run(['backup', source, '--repo', repo], cliEnv({ MERIDIAN_API_URL: `http://127.0.0.1:${closedPort}` }));
  expect(unreachable.code).toBe(4);
  expect(unreachable.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meridian: cannot reach the API server at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/)]);
  expect(unreachable.stderr).not.toContain(TOKEN);

  const noToken = await run(['backup', source, '--repo', repo], cliEnv({ MERIDIAN_API_TOKEN: '' }));
  expect(noToken.code).toBe(2);
  expect(noToken.stderr).toMatch(/MERIDIAN_API_URL is set but MERIDIAN_API_TOKEN is not/);
});
