// A metrics.tokenFile that cannot be read stops `meridian server` and `meridian worker` before they
// connect or listen: exit 2 (usage) with one line naming the file, not a failure to listen.

import fs from 'node:fs';
import path from 'node:path';
import { runMeridian } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

it.each(['server', 'worker'])('meridian %s with a missing metrics.tokenFile exits 2 naming the file', async (command) => {
  const work = tempDir('metrics-token');
  const home = path.join(work, 'home');
  const tokenFile = path.join(work, 'no-such.token');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'meridian.yaml'), `metrics: { tokenFile: ${tokenFile} }\n`);
  // Temporal at a port where nothing listens: reaching it would fail differently (exit 4).
  const env = { PATH: process.env.PATH, MERIDIAN_HOME: home, MERIDIAN_API_TOKEN: 'api-token', TEMPORAL_ADDRESS: '127.0.0.1:1', MERIDIAN_PASSWORD: 'unused' };
  const run = await runMeridian([command], { cwd: work, env, timeoutMs: 60_000 });
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`cannot read the token file ${tokenFile} of metrics.tokenFile: ENOENT`)]);
});
