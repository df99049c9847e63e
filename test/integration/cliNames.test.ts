// Hostile names through the real `meridian` command (a client of the test Temporal server, with a
// `meridian worker` child process): names that are not UTF-8, backslashes, newlines and 255-byte
// names back up and restore exactly; a path over 4,096 bytes is skipped with a warning naming it,
// and the backup exits 3.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeDeepTree, writeHostileNames } from '../helpers/hostileTrees';
import { meridianEnv, MeridianWorkerProcess, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { describeTree, expectSameTree, tempDir } from '../helpers/trees';

let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

beforeAll(async () => {
  work = tempDir('cli-names');
  env = meridianEnv(work, 'cli-names', 'names passphrase', [path.join(work, 'repo')]);
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
});

test('hostile names round-trip; a path over 4,096 bytes is a warning naming it and exit 3', async () => {
  const source = path.join(work, 'source');
  mkdirSync(source);
  writeHostileNames(source);
  const deep = writeDeepTree(source);
  let run;
  try {
    expect((await meridian('init', '--repo', 'repo')).code).toBe(0);
    run = await meridian('backup', 'source', '--repo', 'repo', '--json');
  } finally {
    deep.remove(); // its restorable part is checked by the unit tests
  }
  expect(run.code).toBe(3);
  expect(run.stderr).toMatch(/^meridian: warning: skipped \/.*….*d{30}: ENAMETOOLONG: name too long\n$/);
  const result = JSON.parse(run.stdout) as { snapshotId: string; filesNew: number; filesSkipped: number; warnings: string[] };
  expect(result).toMatchObject({ filesNew: 13, filesSkipped: 1, warnings: [expect.stringContaining('ENAMETOOLONG')] });

  const restored = await meridian('restore', result.snapshotId, '--repo', 'repo', '--target', 'restored', '--exclude', deep.level);
  expect(restored).toMatchObject({ code: 0, stderr: '' });
  expectSameTree(source, path.join(work, 'restored'));
  expect(describeTree(path.join(work, 'restored')).has('dir\\xe9/sub\\xff/deep.bin')).toBe(true);
});
