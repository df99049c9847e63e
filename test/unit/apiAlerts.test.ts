// GET /v1/alerts and POST /v1/alerts/:snapshot/ack on a real repository on disk whose source was
// attacked (text tiles changing a little a day, then 80% of them replaced by random bytes and
// renamed `.locked`): the alert is listed open; a server whose role for the repository is
// append-only is refused the acknowledgment (403) and the alert stays open; the maintenance
// server acknowledges it in the name of the request's token, and the list then shows who and
// when; a snapshot that raised no alert, and a repository the server does not know, are refused.

import type { Client } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { repositoryLocationKey } from '../../storage/open';
import { configuredAuthority } from '../../worker/authority';
import type { WorkerConfig } from '../../worker/workerConfig';
import { changeTiles, dayTime, encryptTiles, writeTiles } from '../helpers/ransomwareSource';
import { tempDir } from '../helpers/trees';

const PASS = 'alert api passphrase';
const FILES = 40;
const TOKENS = { ops: 'ops-token', admin: 'admin-token' };

let repoDir: string;
let firstSnapshot: string;
let attackSnapshot: string;

function app(role?: 'append-only') {
  const config: WorkerConfig = {
    repositories: [{ name: 'gis', url: repoDir, key: repositoryLocationKey(repoDir), ...(role ? { role } : {}) }],
    sourceRoots: [],
    restoreRoots: [],
    origin: { kind: 'command' },
  };
  return createApiApp({ client: {} as Client, authority: configuredAuthority(config, { passphrase: PASS }), token: TOKENS.admin, tokens: { ops: TOKENS.ops } });
}

const request = (server: ReturnType<typeof app>, path: string, method = 'GET', token = TOKENS.ops) => server.request(path, { method, headers: { Authorization: `Bearer ${token}` } });
const json = async <T>(response: Response) => ({ status: response.status, body: (await response.json()) as T });

interface Alert {
  snapshotId: string;
  reasons: string[];
  acknowledged?: { by: string; acknowledgedAt: string };
}

beforeAll(async () => {
  repoDir = tempDir('alert-api-repo');
  const repo = await Repository.init(new LocalStorage(repoDir), PASS, { packSizeMiB: 1 });
  const source = tempDir('alert-api-source');
  writeTiles(source, FILES);
  for (let day = 0; day <= 3; day++) {
    if (day > 0) changeTiles(source, FILES, day, 1);
    const result = await backup(repo, { source, type: 'incremental', time: dayTime(day), threads: 0 });
    if (day === 0) firstSnapshot = result.snapshotId;
  }
  encryptTiles(source, FILES, 0.8);
  attackSnapshot = (await backup(repo, { source, type: 'incremental', time: dayTime(4), threads: 0 })).snapshotId;
});

test('the attack is listed as an open alert', async () => {
  const { status, body } = await json<{ alerts: Alert[] }>(await request(app(), '/v1/alerts?repo=gis'));
  expect(status).toBe(200);
  expect(body.alerts).toHaveLength(1);
  expect(body.alerts[0]).toEqual(expect.objectContaining({ snapshotId: attackSnapshot }));
  expect(body.alerts[0]!.reasons.length).toBeGreaterThanOrEqual(2); // two signs at once make a suspicion
  expect(body.alerts[0]!.acknowledged).toBeUndefined();
});

test('an append-only server is refused the acknowledgment before storage is opened; the alert stays open', async () => {
  const { status, body } = await json<{ error: { code: string; message: string } }>(await request(app('append-only'), `/v1/alerts/${attackSnapshot.slice(0, 8)}/ack?repo=gis`, 'POST'));
  expect(status).toBe(403);
  expect(body.error.code).toBe('refused');
  expect(body.error.message).toMatch(/acknowledging a ransomware alert on repository name "gis": this worker's role for it is append-only/);
  const listed = await json<{ alerts: Alert[] }>(await request(app('append-only'), '/v1/alerts?repo=gis'));
  expect(listed.body.alerts[0]!.acknowledged).toBeUndefined();
});

test("the maintenance server acknowledges it in the name of the request's token; a snapshot without an alert and an unknown repository are refused", async () => {
  const server = app();
  const acked = await json<Alert>(await request(server, `/v1/alerts/${attackSnapshot.slice(0, 8)}/ack?repo=gis`, 'POST'));
  expect(acked.status).toBe(200);
  expect(acked.body.acknowledged).toEqual(expect.objectContaining({ by: 'ops' }));
  const listed = await json<{ alerts: Alert[] }>(await request(server, '/v1/alerts?repo=gis', 'GET', TOKENS.admin));
  expect(listed.body.alerts[0]!.acknowledged).toEqual(acked.body.acknowledged);

  const none = await json<{ error: { code: string; message: string } }>(await request(server, `/v1/alerts/${firstSnapshot}/ack?repo=gis`, 'POST'));
  expect({ status: none.status, code: none.body.error.code }).toEqual({ status: 400, code: 'invalid_request' });
  expect(none.body.error.message).toMatch(/raised no ransomware alert: nothing to acknowledge/);
  expect((await request(server, '/v1/alerts?repo=/srv/elsewhere')).status).toBe(403);
  expect((await request(server, '/v1/alerts/latest/ack?repo=gis', 'POST')).status).toBe(400);
});
