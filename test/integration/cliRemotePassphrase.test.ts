// With a Temporal address configured, the CLI is only a client: a `meridian worker` elsewhere
// (here a separate process) opens the repository with its own passphrase configuration, never
// with this shell's MERIDIAN_PASSWORD. When that worker's passphrase fails, the CLI says so.

import fs from 'node:fs';
import path from 'node:path';
import { meridianEnv, MeridianWorkerProcess, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

jest.setTimeout(120_000);

const CLI_PASSPHRASE = 'the passphrase of this shell';

describe.each([
  ['holds another passphrase', 'the worker passphrase', /no key of local:\S+ opens with this passphrase/],
  ['holds no passphrase', undefined, /is encrypted and needs a passphrase/],
])('a backup through a remote worker that %s', (_, workerPassphrase, engineMessage) => {
  const work = tempDir('remote-passphrase');
  const repo = path.join(work, 'repo');
  const env = meridianEnv(work, 'remote-pass', CLI_PASSPHRASE, [repo]);
  let worker: MeridianWorkerProcess | undefined;

  beforeAll(async () => {
    const { MERIDIAN_PASSWORD: _cli, ...workerEnv } = env;
    worker = await startMeridianWorker(workerPassphrase === undefined ? workerEnv : { ...workerEnv, MERIDIAN_PASSWORD: workerPassphrase });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it("fails with exit 3 and one line saying the worker uses its own passphrase configuration, not this shell's", async () => {
    const options = { cwd: work, env, timeoutMs: 60_000 };
    expect(await runMeridian(['init', '--repo', repo], options)).toMatchObject({ code: 0 });
    fs.mkdirSync(path.join(work, 'source'));
    fs.writeFileSync(path.join(work, 'source', 'tile.tif'), 'raster');

    const run = await runMeridian(['backup', 'source', '--repo', repo], options);
    expect(run.code).toBe(3);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(engineMessage);
    expect(lines[0]).toMatch(
      new RegExp(`\\(the worker at ${env.TEMPORAL_ADDRESS!.replace(/\./g, '\\.')} uses its own passphrase configuration: .*; the MERIDIAN_PASSWORD and --password-file of this shell were not sent to it\\)$`),
    );
    expect(run.stderr).not.toContain(CLI_PASSPHRASE);
  });
});
