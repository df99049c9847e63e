// `npm run demo` (scripts/demo.sh) on a set-up tree: it does not set up or build again, and a
// second demo reuses the first one's dev server (one MERIDIAN_HOME for every demo) instead of
// leaving another running; `meridian server stop` stops it.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

const execFileAsync = promisify(execFile);
let work: string;
let env: NodeJS.ProcessEnv;
let home: string;

/** Pids of `temporal server start-dev` processes whose command line mentions `text`. */
function devServersMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('start-dev') && cmdline.includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const demo = (run: number) =>
  execFileAsync('bash', ['scripts/demo.sh'], { cwd: projectRoot, env: { ...env, MERIDIAN_DEMO_DIR: path.join(work, `demo-${run}`) }, timeout: 240_000 });

beforeAll(() => {
  work = tempDir('demo');
  const { MERIDIAN_HOME: _home, MERIDIAN_PASSWORD: _password, MERIDIAN_PASSWORD_FILE: _file, ...inherited } = process.env;
  env = { ...inherited, XDG_STATE_HOME: path.join(work, 'state'), MERIDIAN_DEMO_MIB: '4', TEMPORAL_ADDRESS: '127.0.0.1:1' };
  home = path.join(work, 'state', 'meridian-demo');
});

afterAll(async () => {
  await execFileAsync(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'server', 'stop'], { env: { ...env, MERIDIAN_HOME: home } }).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

it('two demos in a row: no setup or build, one dev server, which server stop stops', async () => {
  const first = await demo(1);
  expect(first.stdout).not.toMatch(/^setup:/m);
  expect(first.stdout).toContain('demo: the restored tree is identical to the sample');
  expect(first.stderr).toMatch(/meridian: started a local Temporal dev server at /);
  const servers = devServersMentioning(home);
  expect(servers).toHaveLength(1);

  const second = await demo(2);
  expect(second.stdout).not.toMatch(/^setup:/m);
  expect(second.stdout).toContain('demo: the restored tree is identical to the sample');
  expect(second.stderr).not.toContain('started a local Temporal dev server');
  expect(devServersMentioning(home)).toEqual(servers);
  expect(second.stdout).toContain(`stop it with: MERIDIAN_HOME=${home} node bin/meridian.js server stop`);

  const stop = await execFileAsync(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'server', 'stop'], { env: { ...env, MERIDIAN_HOME: home } });
  expect(stop.stderr).toMatch(/^meridian: stopped the local Temporal dev server/);
  expect(devServersMentioning(home)).toEqual([]);
});
