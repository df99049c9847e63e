// The API's named tokens and failover routes, through app.request with a stand-in Temporal client
// (a monitor handle that records the Updates it gets): the token's name is the identity a manual
// failover records, MERIDIAN_API_TOKEN is 'admin', a body cannot set it; a validator's refusal
// is 409 with its message, a failed switch 500 with its message, an unknown monitor 404.

import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createApiApp } from '../../api/app';
import type { FailoverState } from '../../workflows/failoverDefs';
import type { Authority } from '../../worker/authority';

const ADMIN = 'admin-token-0123456789';
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-01234567890';

const state: FailoverState = {
  name: 'tiles-dr',
  replication: 'tiles',
  primaryRegion: 'eu',
  secondaryRegions: ['us'],
  activeRegion: 'eu',
  consecutiveFailures: 1,
  primaryHealthyStreak: 0,
  needsResync: [],
  failbackPossible: false,
  regions: {},
  checks: 12,
  events: [{ id: 'tiles-dr-1', kind: 'failover-blocked', at: '2026-11-30T10:00:00.000Z', from: 'eu', to: 'us', reason: 'lag', trigger: 'automatic' }],
  eventCount: 1,
};

const updates: Array<{ name: string; args: unknown[] }> = [];
let nextUpdate: () => unknown = () => ({ eventId: 'tiles-dr-2', from: 'eu', to: 'us' });

const handle = (workflowId: string) => ({
  workflowId,
  describe: async () => {
    if (workflowId !== 'failover:tiles-dr') throw new WorkflowNotFoundError('not found', workflowId, undefined);
    return { status: { name: 'RUNNING' } };
  },
  query: async () => state,
  startUpdate: async (name: string, options: { args: unknown[] }) => {
    updates.push({ name, args: options.args });
    const answer = nextUpdate();
    return { result: async () => answer };
  },
});

const client = { workflow: { getHandle: handle }, withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;
const app = createApiApp({ client, authority: {} as Authority, token: ADMIN, tokens: { alice: ALICE, bob: BOB }, config: { failover: { 'tiles-dr': {}, other: {} } } });

const call = (method: string, path: string, token: string, body?: unknown) =>
  app.request(path, { method, headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

beforeEach(() => {
  updates.length = 0;
  nextUpdate = () => ({ eventId: 'tiles-dr-2', from: 'eu', to: 'us' });
});

describe('named API tokens', () => {
  it("record the token's name as who asked; MERIDIAN_API_TOKEN is admin; the body cannot set it", async () => {
    const alice = await call('POST', '/v1/failover/tiles-dr/trigger', ALICE, { to: 'us', reason: 'drill' });
    expect(alice.status).toBe(200);
    expect(await alice.json()).toEqual({ eventId: 'tiles-dr-2', from: 'eu', to: 'us' });
    expect((await call('POST', '/v1/failover/tiles-dr/failback', ADMIN, {})).status).toBe(200);
    expect((await call('POST', '/v1/failover/tiles-dr/trigger', BOB, { by: 'alice' })).status).toBe(400);
    expect(updates).toEqual([
      { name: 'failover', args: [{ to: 'us', reason: 'drill', by: 'alice' }] },
      { name: 'failback', args: [{ by: 'admin' }] },
    ]);
  });

  it('refuse any other token, and an app without any token', async () => {
    expect((await call('GET', '/v1/failover/tiles-dr', `${ALICE}x`)).status).toBe(401);
    expect(() => createApiApp({ client, authority: {} as Authority, token: '' })).toThrow(/token/);
    const namedOnly = createApiApp({ client, authority: {} as Authority, token: '', tokens: { alice: ALICE } });
    expect((await namedOnly.request('/v1/failover/tiles-dr', { headers: { Authorization: `Bearer ${ALICE}` } })).status).toBe(200);
    expect((await namedOnly.request('/v1/failover/tiles-dr', { headers: { Authorization: 'Bearer ' } })).status).toBe(401);
  });
});

describe('/v1/failover routes', () => {
  it('answer the state and the events', async () => {
    expect(await (await call('GET', '/v1/failover/tiles-dr', BOB)).json()).toEqual(state);
    expect(await (await call('GET', '/v1/failover/tiles-dr/events', BOB)).json()).toEqual({ name: 'tiles-dr', events: state.events });
  });

  it('answer 404 for a monitor that does not run, naming the entries', async () => {
    const response = await call('GET', '/v1/failover/nothing/events', BOB);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no failover named "nothing" is running (meridian.yaml defines tiles-dr, other)' } });
    expect(await (await call('POST', '/v1/failover/other/trigger', BOB, {})).json()).toEqual({ error: { code: 'not_found', message: 'no failover monitor failover:other is running (meridian apply starts it)' } });
  });

  it("answer 409 with the validator's message, and 500 with a failed switch's", async () => {
    nextUpdate = () => {
      throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'region "ap" is not a secondary of tiles-dr (eu, us)\nmore', type: 'Error' }));
    };
    const refused = await call('POST', '/v1/failover/tiles-dr/trigger', ALICE, { to: 'ap' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: { code: 'rejected', message: 'region "ap" is not a secondary of tiles-dr (eu, us)' } });
    nextUpdate = () => {
      throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'promote us: storage unavailable', type: 'switch-failed' }));
    };
    const failed = await call('POST', '/v1/failover/tiles-dr/failback', ALICE, { reason: 'back' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: { code: 'failed', message: 'promote us: storage unavailable' } });
  });

  it('validate the body', async () => {
    const response = await call('POST', '/v1/failover/tiles-dr/trigger', ALICE, { to: 3 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('to: must be a region name');
    expect(updates).toEqual([]);
  });
});
