// A `meridian worker` holds only what every worker needs: the modules it loads before its first
// task (the worker command, the Meridian worker and every activity, its metrics without
// metrics.bind) include no SMTP client, PostgreSQL client, file watcher, S3 SDK, YAML parser or
// HTTP framework, which the activities that use them load on first use (each ~7–21 MiB alone; an
// idle worker went from 140–147 to 130–132 MiB). Runs the built modules in a child process.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { assertBuildFresh } from '../setup/distFreshness';

const root = path.resolve(__dirname, '..', '..');
// hono's HTTPException alone (one small module) comes with the API's error mapping, which activities share.
const LOADED_ON_USE = /node_modules\/(nodemailer\/|pg\/|@parcel\/watcher\/|@aws-sdk\/client-s3\/|yaml\/|hono\/dist\/cjs\/hono\.js|@hono\/node-server\/)/;

const script = `
  require('./dist/cli/commands/worker.js');
  require('./dist/worker/createWorker.js');
  require('./dist/metrics/serverMetrics.js').startWorkerMetrics(undefined, undefined).then(() => {
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
  });
`;

test('the modules a worker loads before its first task hold none of the packages its activities load on use', () => {
  assertBuildFresh(root);
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect({ code: result.status, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const loaded = JSON.parse(result.stdout) as string[];
  expect(loaded).toContain(path.join(root, 'dist', 'activities', 'index.js'));
  expect(loaded.filter((file) => LOADED_ON_USE.test(file))).toEqual([]);
});
