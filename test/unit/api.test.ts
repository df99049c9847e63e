// The HTTP API's authentication and validation, through app.request: no listening server and no
// Temporal (the client here throws if a request ever gets as far as using it).

import type { Client } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { DASHBOARD_PATHS } from '../../api/dashboard/routes';
import type { Authority } from '../../worker/authority';

const TOKEN = 'test-token-0123456789';

const unusable = (what: string) =>
  new Proxy({}, {
    get: () => () => {
      throw new Error(`${what} must not be used by these tests`);
    },
  });

const app = createApiApp({
  client: { workflow: unusable('client.workflow') } as unknown as Client,
  authority: unusable('authority') as Authority,
  token: TOKEN,
});

function post(path: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) {
  return app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

const backup = { repo: '/srv/repo', path: '/data/tiles' };

describe('API authentication', () => {
  it('leaves GET /healthz open', async () => {
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('answers 401 without a token', async () => {
    const response = await post('/v1/backups', backup, {});
    expect(await errorOf(response)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer');
  });

  it('answers 401 with a wrong token, a token of another length or another scheme', async () => {
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${TOKEN}`, `Bearer${TOKEN}`]) {
      expect(await errorOf(await post('/v1/backups', backup, { Authorization: authorization }))).toMatchObject({ status: 401, code: 'unauthorized' });
    }
  });

  it('answers 401 to GET routes without a token, and on unknown routes before saying 404', async () => {
    expect((await app.request('/v1/snapshots?repo=/srv/repo')).status).toBe(401);
    expect((await app.request('/v1/operations/backup:x')).status).toBe(401);
    expect((await app.request('/v1/nothing-here')).status).toBe(401);
  });

  it('answers 404 not_found for an unknown route with a valid token', async () => {
    const response = await app.request('/v1/nothing-here', { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await errorOf(response)).toEqual({ status: 404, code: 'not_found', message: 'no route for GET /v1/nothing-here' });
  });

  it('refuses to build an app with an empty token', () => {
    expect(() => createApiApp({ client: {} as Client, authority: {} as Authority, token: '' })).toThrow(/token/);
  });
});

describe('API request validation', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['missing repo', '/v1/backups', { path: '/data' }, 'repo: is required'],
    ['relative repo', '/v1/backups', { repo: 'srv/repo', path: '/data' }, 'repo: repository path "srv/repo" must be absolute (or a file:// URL)'],
    ['unknown repo scheme', '/v1/backups', { repo: 'ftp://host/x', path: '/data' }, 'repo: unsupported repository URL scheme "ftp://"'],
    ['relative path', '/v1/backups', { ...backup, path: 'data/tiles' }, 'path: must be an absolute path'],
    ['bad type', '/v1/backups', { ...backup, type: 'weekly' }, 'type: must be full, incremental or differential'],
    ['a tag of the wrong type', '/v1/backups', { ...backup, tags: ['ok', 3] }, 'tags[1]: must be a string'],
    ['a time that is no date', '/v1/backups', { ...backup, time: 'yesterday' }, 'time: must be an ISO 8601 date-time with a zone, such as 2026-11-30T02:15:00Z or 2026-11-30T03:15:00+01:00'],
    ['a time without a zone', '/v1/backups', { ...backup, time: '2026-11-30T02:15:00' }, 'time: must be an ISO 8601 date-time with a zone, such as 2026-11-30T02:15:00Z or 2026-11-30T03:15:00+01:00'],
    ['a forget without policy or snapshots', '/v1/forgets', { repo: '/srv/repo' }, 'body: give either policy or snapshots (not both)'],
    ['a forget with both', '/v1/forgets', { repo: '/srv/repo', policy: { keepLast: 1 }, snapshots: ['abcd'] }, 'body: give either policy or snapshots (not both)'],
    ['a forget of a bad id', '/v1/forgets', { repo: '/srv/repo', snapshots: ['latest'] }, 'snapshots[0]: must be a snapshot id (4 to 64 hex digits)'],
    ['a forget with an unknown time zone', '/v1/forgets', { repo: '/srv/repo', policy: { keepLast: 1 }, timezone: 'Mars/Olympus' }, 'timezone: must be an IANA time zone such as Europe/Paris or UTC'],
    ['a forget with a bad group', '/v1/forgets', { repo: '/srv/repo', policy: { keepLast: 1 }, groupBy: 'path' }, 'groupBy: must be one of host,source, host, source, tags, none'],
    ['a forget with an unknown rule', '/v1/forgets', { repo: '/srv/repo', policy: { keepLast: 1, keepForever: true } }, 'policy.keepForever: is not a known field'],
    ['a prune with maxUnusedPercent over 100', '/v1/prunes', { repo: '/srv/repo', maxUnusedPercent: 150 }, 'maxUnusedPercent: must be from 0 to 100'],
    ['a prune with dryRun not a boolean', '/v1/prunes', { repo: '/srv/repo', dryRun: 'yes' }, 'dryRun: must be true or false'],
    ['a key rotation throttled to 0 bytes a second', '/v1/keys/rotation', { repo: '/srv/repo', bytesPerSecond: 0 }, 'bytesPerSecond: must be at least 1'],
    ['a key rotation throttled to a fraction', '/v1/keys/rotation', { repo: '/srv/repo', bytesPerSecond: 1.5 }, 'bytesPerSecond: must be a whole number'],
    ['a forget --prune with a bad percentage', '/v1/forgets', { repo: '/srv/repo', snapshots: ['abcd'], prune: { maxUnusedPercent: -1 } }, 'prune.maxUnusedPercent: must be from 0 to 100'],
    ['unknown field', '/v1/backups', { ...backup, passphrase: 'x' }, 'passphrase: is not a known field'],
    ['a data task queue with a space', '/v1/backups', { ...backup, dataTaskQueue: 'host b' }, 'dataTaskQueue: must not contain white space'],
    ['an empty data task queue', '/v1/restores', { repo: '/srv/repo', snapshot: 'latest', target: '/out', dataTaskQueue: '' }, 'dataTaskQueue: must not be empty'],
    ['a data task queue that is no string', '/v1/prunes', { repo: '/srv/repo', dataTaskQueue: 7 }, 'dataTaskQueue: must be a string'],
    ['a host that is no string', '/v1/backups', { ...backup, host: ['a'] }, 'host: must be a string'],
    ['relative target', '/v1/restores', { repo: '/srv/repo', snapshot: 'latest', target: 'out' }, 'target: must be an absolute path'],
    ['bad snapshot', '/v1/restores', { repo: '/srv/repo', snapshot: 'yesterday', target: '/out' }, 'snapshot: must be "latest" or a snapshot id (4 to 64 hex digits)'],
    ['samplePercent 0', '/v1/verifications', { repo: '/srv/repo', samplePercent: 0 }, 'samplePercent: must be from 1 to 100'],
    ['samplePercent 101', '/v1/verifications', { repo: '/srv/repo', samplePercent: 101 }, 'samplePercent: must be from 1 to 100'],
    ['samplePercent as a string', '/v1/verifications', { repo: '/srv/repo', samplePercent: '50' }, 'samplePercent: must be a number'],
    ['bad level', '/v1/verifications', { repo: '/srv/repo', level: 'paranoid' }, 'level: must be quick, standard or deep'],
    ['a subset past its total', '/v1/verifications', { repo: '/srv/repo', subset: { n: 4, t: 3 } }, 'subset.n: n must not exceed t'],
    ['a subset numbered 0', '/v1/verifications', { repo: '/srv/repo', subset: { n: 0, t: 3 } }, 'subset.n: must be at least 1'],
    ['a subset of a fraction', '/v1/verifications', { repo: '/srv/repo', subset: { n: 1, t: 2.5 } }, 'subset.t: must be a whole number'],
    ['a subset with a standard level', '/v1/verifications', { repo: '/srv/repo', subset: { n: 1, t: 3 }, level: 'standard' }, 'level: must be deep (or left out) with a subset'],
    ['a subset with a sample', '/v1/verifications', { repo: '/srv/repo', subset: { n: 1, t: 3 }, samplePercent: 10 }, 'samplePercent: cannot be combined with a subset'],
    ['an array body', '/v1/backups', [backup], 'body: must be a JSON object'],
    ['a pg backup of neither pgdata nor dsn', '/v1/pg/backups', { repo: '/srv/repo', cluster: 'main' }, 'pgdata: give exactly one of pgdata and dsn'],
    ['a pg backup of both', '/v1/pg/backups', { repo: '/srv/repo', cluster: 'main', pgdata: '/var/lib/pg', dsn: 'postgres://db/x' }, 'pgdata: give exactly one of pgdata and dsn'],
    ['a pg backup with a password in its dsn', '/v1/pg/backups', { repo: '/srv/repo', cluster: 'main', dsn: 'postgres://u:secret@db/x' }, 'dsn: must not carry a password (the worker reads it from its ~/.pgpass or PGPASSFILE)'],
    ['a pg backup with a password parameter in its dsn', '/v1/pg/backups', { repo: '/srv/repo', cluster: 'main', dsn: 'postgresql://db/x?sslmode=require&password=secret' }, 'dsn: must not carry a password (the worker reads it from its ~/.pgpass or PGPASSFILE)'],
    ['a pg cluster name with a slash', '/v1/pg/backups', { repo: '/srv/repo', cluster: 'a/b', pgdata: '/var/lib/pg' }, 'cluster: must be 1 to 63 letters, digits, "_" or "-", starting with a letter or digit'],
    ['a pg restore without a zone', '/v1/pg/restores', { repo: '/srv/repo', cluster: 'main', targetTime: '2026-11-30T02:15:00', targetDir: '/r' }, 'targetTime: must be an ISO 8601 date-time with a zone, such as 2026-11-30T02:15:00Z or 2026-11-30T03:15:00+01:00'],
    ['a pg restore with a bad action', '/v1/pg/restores', { repo: '/srv/repo', cluster: 'main', targetTime: '2026-11-30T02:15:00Z', targetDir: '/r', targetAction: 'shutdown' }, 'targetAction: must be promote or pause'],
    ['a pg verification with dryRun but no retention', '/v1/pg/verifications', { repo: '/srv/repo', cluster: 'main', dryRun: true }, 'dryRun: applies only with retention'],
    ['a pg verification with an unknown field', '/v1/pg/verifications', { repo: '/srv/repo', cluster: 'main', gaps: true }, 'gaps: is not a known field'],
    ['a pg verification with a non-boolean retention', '/v1/pg/verifications', { repo: '/srv/repo', cluster: 'main', retention: 'yes' }, 'retention: must be true or false'],
    ['a pg restore started on port 0', '/v1/pg/restores', { repo: '/srv/repo', cluster: 'main', targetTime: '2026-11-30T02:15:00Z', targetDir: '/r', start: { port: 0 } }, 'start.port: must be 1 to 65535'],
    ['a restore at a relative source', '/v1/restores/at', { repo: '/srv/repo', source: 'data', at: '2026-11-30T02:15:00Z', target: '/out' }, 'source: must be an absolute path'],
    ['a restore at no time', '/v1/restores/at', { repo: '/srv/repo', source: '/data', target: '/out' }, 'at: is required'],
  ];

  it.each(cases)('answers 400 naming the field: %s', async (_name, path, body, message) => {
    expect(await errorOf(await post(path, body))).toEqual({ status: 400, code: 'invalid_request', message });
  });

  it('names every offending field at once', async () => {
    const { message } = await errorOf(await post('/v1/backups', { path: 'rel', extra: 1 }));
    expect(message).toBe('repo: is required; path: must be an absolute path; extra: is not a known field');
  });

  it('answers 400 to invalid JSON', async () => {
    expect(await errorOf(await post('/v1/backups', '{"repo": "/srv/repo",'))).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: expect.stringMatching(/^body: .*JSON/),
    });
  });

  it('answers 400 to a body that is not sent as JSON', async () => {
    const response = await app.request('/v1/backups', {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/plain' },
      body: JSON.stringify(backup),
    });
    expect(await errorOf(response)).toEqual({ status: 400, code: 'invalid_request', message: 'body: must be JSON (Content-Type: application/json)' });
  });

  it('validates the snapshots query', async () => {
    const get = (query: string) => app.request(`/v1/snapshots${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await errorOf(await get(''))).toEqual({ status: 400, code: 'invalid_request', message: 'repo: is required' });
    expect(await errorOf(await get('?repo=/srv/repo&limit=3'))).toMatchObject({ status: 400, message: 'limit: is not a known field' });
    expect(await errorOf(await get('?repo=/srv/repo&at=2026-11-30T02:15:00Z'))).toEqual({ status: 400, code: 'invalid_request', message: 'at: give both at and source, or neither' });
    expect(await errorOf(await get('?repo=/srv/repo&at=noon&source=/data'))).toMatchObject({ status: 400, message: expect.stringMatching(/^at: must be an ISO 8601 date-time with a zone/) as string });
  });

  it('validates the snapshot and the repository of DELETE /v1/snapshots/:id', async () => {
    const remove = (path: string) => app.request(path, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await errorOf(await remove('/v1/snapshots/latest?repo=/srv/repo'))).toEqual({ status: 400, code: 'invalid_request', message: 'id: must be a snapshot id (4 to 64 hex digits)' });
    expect(await errorOf(await remove('/v1/snapshots/abcd1234'))).toEqual({ status: 400, code: 'invalid_request', message: 'repo: is required' });
  });
});

describe('API schedule routes refuse bad input before Temporal is asked', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('answers 400 to a name that cannot be a schedule name', async () => {
    expect(await errorOf(await app.request('/v1/schedules/no%20spaces', { headers: auth }))).toMatchObject({ status: 400, code: 'invalid_request', message: expect.stringMatching(/^name: /) });
    expect(await errorOf(await post('/v1/schedules/-dash/trigger', {}))).toMatchObject({ status: 400, message: expect.stringMatching(/^name: /) });
  });

  it('validates the body of a pause', async () => {
    expect(await errorOf(await post('/v1/schedules/nightly/pause', { reason: 'x' }))).toEqual({ status: 400, code: 'invalid_request', message: 'reason: is not a known field' });
    expect(await errorOf(await post('/v1/schedules/nightly/pause', { note: 7 }))).toEqual({ status: 400, code: 'invalid_request', message: 'note: must be a string' });
    expect(await errorOf(await post('/v1/schedules/nightly/pause', { note: 'x'.repeat(1001) }))).toMatchObject({ status: 400, message: 'note: must be at most 1000 characters' });
  });

  it('answers 405 to a GET of an action', async () => {
    const response = await app.request('/v1/schedules/nightly/pause', { headers: auth });
    expect(await errorOf(response)).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(response.headers.get('Allow')).toBe('POST');
  });
});

describe('API replication routes refuse bad input and unknown sets before Temporal is asked', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('answers 404 to a set the server does not have, 400 to a name that cannot be one', async () => {
    expect(await errorOf(await app.request('/v1/replication/gis', { headers: auth }))).toEqual({
      status: 404,
      code: 'not_found',
      message: 'no replica set named "gis" in meridian.yaml (it defines none)',
    });
    expect(await errorOf(await post('/v1/replication/gis/runs', {}))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await app.request('/v1/replication/no%20spaces', { headers: auth }))).toMatchObject({ status: 400, message: expect.stringMatching(/^name: /) });
  });

  it('validates the bodies of a run and a verification', async () => {
    expect(await errorOf(await post('/v1/replication/gis/runs', { full: 'yes' }))).toEqual({ status: 400, code: 'invalid_request', message: 'full: must be true or false' });
    expect(await errorOf(await post('/v1/replication/gis/verifications', { replica: 'a b' }))).toMatchObject({ status: 400, message: expect.stringMatching(/^replica: /) });
    expect(await errorOf(await post('/v1/replication/gis/verifications', { replicas: ['x'] }))).toEqual({ status: 400, code: 'invalid_request', message: 'replicas: is not a known field' });
  });
});

describe('API methods and body size', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it.each([
    ['DELETE', '/v1/backups', 'POST'],
    ['GET', '/v1/restores', 'POST'],
    ['PUT', '/v1/verifications', 'POST'],
    ['POST', '/v1/snapshots?repo=/srv/repo', 'GET, HEAD'],
    ['DELETE', `/v1/operations/${encodeURIComponent('backup:/srv/repo:/data:2026')}`, 'GET, HEAD'],
    ['POST', '/v1/openapi.json', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const response = await app.request(path, { method, headers: auth });
    const error = await errorOf(response);
    expect(error).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(error.message).toBe(`${method} is not allowed on ${path.split('?')[0]}; allowed: ${allow}`);
    expect(response.headers.get('Allow')).toBe(allow);
  });

  it('still answers 401 before 405 without a token, and 404 for unknown paths', async () => {
    expect((await app.request('/v1/backups', { method: 'DELETE' })).status).toBe(401);
    expect((await app.request('/v1/backup', { method: 'POST', headers: auth })).status).toBe(404);
  });

  it('answers 413 payload_too_large to a body over 64 KiB, and validates one of exactly 64 KiB', async () => {
    const padded = (bytes: number, path = backup.path) =>
      JSON.stringify({ ...backup, path, tags: ['x'.repeat(bytes - JSON.stringify({ ...backup, path, tags: [''] }).length)] });
    expect(Buffer.byteLength(padded(64 * 1024 + 1))).toBe(64 * 1024 + 1);
    expect(await errorOf(await post('/v1/backups', padded(64 * 1024 + 1)))).toEqual({
      status: 413,
      code: 'payload_too_large',
      message: 'the request body is larger than 64 KiB',
    });
    // At the limit the body reaches the route's validation.
    expect(Buffer.byteLength(padded(64 * 1024, 'relative'))).toBe(64 * 1024);
    expect(await errorOf(await post('/v1/backups', padded(64 * 1024, 'relative')))).toMatchObject({ status: 400, message: 'path: must be an absolute path' });
  });
});

describe('API OpenAPI document', () => {
  it('is served without a token and documents every route of the app', async () => {
    const response = await app.request('/v1/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const routes = app.routes
      .filter((route) => route.method !== 'ALL' && !DASHBOARD_PATHS.includes(route.path))
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`);
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...new Set(routes)].sort());
  });

  it('describes request bodies from the zod schemas, unknown fields excluded', async () => {
    const document = (await (await app.request('/v1/openapi.json')).json()) as {
      components: { schemas: Record<string, { required?: string[]; additionalProperties?: boolean; properties?: Record<string, unknown> }> };
    };
    const backupRequest = document.components.schemas.BackupRequest!;
    expect(backupRequest.required).toEqual(['repo', 'path']);
    expect(backupRequest.additionalProperties).toBe(false);
    expect(backupRequest.properties?.type).toMatchObject({ enum: ['full', 'incremental', 'differential'] });
    expect(document.components.schemas.VerificationRequest!.properties?.samplePercent).toMatchObject({ minimum: 1, maximum: 100 });
  });

  it('states that path and target must be absolute, as a pattern a client can check', async () => {
    const document = (await (await app.request('/v1/openapi.json')).json()) as { components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> } };
    for (const [schema, field] of [['BackupRequest', 'path'], ['RestoreRequest', 'target']] as const) {
      const { pattern } = document.components.schemas[schema]!.properties[field]!;
      expect(pattern).toBeDefined();
      expect(new RegExp(pattern!).test('/data/tiles')).toBe(true);
      expect(new RegExp(pattern!).test('data/tiles')).toBe(false);
    }
  });

  it('lists 405 for every route, with the Allow header, and 413 for every POST', async () => {
    const document = (await (await app.request('/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { responses: Record<string, { headers?: Record<string, unknown> }> };
    };
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect({ path, method, has405: '405' in operation.responses }).toEqual({ path, method, has405: true });
        if (method === 'post') expect({ path, has413: '413' in operation.responses }).toEqual({ path, has413: true });
      }
    }
    expect(document.components.responses.Error405!.headers).toHaveProperty('Allow');
  });

  it("lists every operation of the catalog in the Operation schema's enum, repairs and replica set verifications included", async () => {
    const document = (await (await app.request('/v1/openapi.json')).json()) as { components: { schemas: { Operation: { properties: { operation: { enum: string[] } } } } } };
    expect(document.components.schemas.Operation.properties.operation.enum).toEqual([
      'backup',
      'restore',
      'verify',
      'forget',
      'unlock',
      'prune',
      'immutable-maintenance',
      'key-rotation',
      'pg-backup',
      'pg-restore',
      'pg-verify',
      'restore-at',
      'repair-index',
      'repair-snapshots',
      'replication-verify',
    ]);
  });
});
