// `npm run temporal:dev` (scripts/temporal-dev.sh) reads Meridian's search attributes from the
// workflow catalog's source and registers each as a Keyword: run here with a stand-in for the
// temporal binary that prints the arguments it was given.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../workflows/catalog';

const root = path.resolve(__dirname, '..', '..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'meridian-devscript-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the dev server script registers every search attribute of the catalog as a Keyword', () => {
  const fakeTemporal = path.join(work, 'temporal');
  writeFileSync(fakeTemporal, '#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n');
  chmodSync(fakeTemporal, 0o755);
  const result = spawnSync('bash', [path.join(root, 'scripts', 'temporal-dev.sh')], {
    env: { ...process.env, MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_TEMPORAL_BIN: fakeTemporal },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const args = result.stdout.split('\n');
  const registered = args.flatMap((arg, i) => (args[i - 1] === '--search-attribute' ? [arg] : []));
  expect(registered.sort()).toEqual(Object.values(SEARCH_ATTRIBUTES).map((name) => `${name}=Keyword`).sort());
  expect(args).toContain('start-dev');
});
