// Each `meridian` command loads only what it needs: commands that never reach Temporal or cloud
// storage (help, --version, a command's --help, snapshots of a local repository) load no module of
// the Temporal SDK nor of the S3, GCS or Azure SDKs (the Temporal client alone costs ~0.3 s of
// every start); without a meridian.yaml, they load neither yaml nor the configuration schema
// (~0.1 s), which only a file to parse needs. Runs the built binary with a preload that writes the
// loaded module files at exit.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuildFresh } from '../setup/distFreshness';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');
const HEAVY_PACKAGES = /node_modules\/(@temporalio|@aws-sdk|@google-cloud|@azure)\//;
const CONFIG_PARSER = /node_modules\/yaml\/|dist\/config\/(configText|schema)\.js$/;

let work: string;
let preload: string;

beforeAll(() => {
  assertBuildFresh(root);
  work = mkdtempSync(path.join(os.tmpdir(), 'meridian-lazy-'));
  preload = path.join(work, 'listLoadedModules.js');
  writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache))));\n");
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

let runs = 0;

/** Runs `meridian args` (expecting exit 0), with `extraEnv` added, and returns the module files it loaded. */
function loadedModules(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string[] {
  const list = path.join(work, `loaded-${++runs}.json`);
  const env = { ...process.env, LOADED_MODULES_FILE: list, MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_PASSWORD: 'lazy-load-test', TEMPORAL_ADDRESS: '127.0.0.1:1', ...extraEnv };
  const result = spawnSync(process.execPath, ['--require', preload, bin, ...args], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
  expect({ code: result.status, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const files = JSON.parse(readFileSync(list, 'utf8')) as string[];
  expect(files).toContain(path.join(root, 'dist', 'cli', 'main.js')); // the preload saw the CLI load
  return files;
}

const ownPackagesOnly = (files: string[]) => files.filter((file) => file.includes(`${path.sep}node_modules${path.sep}`));

test.each([[['help']], [['--version']], [['help', 'backup']], [['backup', '--help']], [['restore', '--help']]])('meridian %j loads no package at all', (args) => {
  expect(ownPackagesOnly(loadedModules(args))).toEqual([]);
});

test('meridian snapshots of a local repository loads neither the Temporal SDK nor a cloud storage SDK', () => {
  const repo = path.join(work, 'repo');
  loadedModules(['init', '--repo', repo]);
  const files = loadedModules(['snapshots', '--repo', repo]);
  expect(files.some((file) => file.endsWith(path.join('dist', 'cli', 'commands', 'snapshots.js')))).toBe(true);
  expect(files.filter((file) => HEAVY_PACKAGES.test(file))).toEqual([]);
});

test('meridian snapshots of a local repository without a meridian.yaml loads neither yaml nor the configuration schema', () => {
  const repo = path.join(work, 'plain-repo');
  loadedModules(['init', '--repo', repo]);
  expect(loadedModules(['snapshots', '--repo', repo]).filter((file) => CONFIG_PARSER.test(file))).toEqual([]);
});

test('meridian snapshots of a repository named in meridian.yaml loads the parser and finds the repository', () => {
  const repo = path.join(work, 'named-repo');
  loadedModules(['init', '--repo', repo]);
  const config = path.join(work, 'meridian.yaml');
  writeFileSync(config, `repositories:\n  named:\n    url: ${repo}\n`);
  expect(loadedModules(['snapshots', '--repo', 'named'], { MERIDIAN_CONFIG: config }).filter((file) => CONFIG_PARSER.test(file))).not.toEqual([]);
});
