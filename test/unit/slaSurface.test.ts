// The SLA surface without Temporal: GET /v1/slas and GET /v1/slas/:name/report through app.request
// with a stand-in client whose sla-monitor handle answers the two queries from a fixed view, the
// Markdown rendering of a report (cells as computed by hand), and --since / ?since= resolution.

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { slaReportMarkdown } from '../../control/slaMarkdown';
import { resolveSince } from '../../control/slas';
import type { Authority } from '../../worker/authority';
import type { SlaMonitorView, SlaReport, SlaStatus, SlaViolation } from '../../workflows/slaDefs';

const TOKEN = 'admin-token-0123456789';
const NOW = new Date('2026-11-30T12:00:00.000Z');

const tiles: SlaStatus = {
  name: 'tiles',
  enabled: true,
  compliant: false,
  rpoTargetSeconds: 3600,
  rtoTargetSeconds: 4 * 3600,
  rpoSeconds: 5400,
  rtoSeconds: 1500,
  rtoMeasuredAt: '2026-11-29T08:00:00.000Z',
  sources: [
    { source: 'tiles-eu', rpoSeconds: 5400, lastGoodSnapshotAt: '2026-11-30T10:30:00.000Z' },
    { source: 'tiles|us', rpoSeconds: 600, lastGoodSnapshotAt: '2026-11-30T11:50:00.000Z' },
  ],
  compliance: { '24h': 0.9375, '7d': 0.99107, '30d': null },
  openViolations: [{ id: 'tiles-2', sla: 'tiles', kind: 'rpo', subject: 'tiles-eu', start: '2026-11-30T11:30:00.000Z', observedSeconds: 5400, targetSeconds: 3600 }],
};

const view: SlaMonitorView = { evaluatedAt: NOW.toISOString(), evaluations: 42, intervalSeconds: 60, slas: [tiles], sources: [], repositories: [{ repository: 'main', snapshotCount: 10_000, sizeBytes: 1 << 30 }] };

const report: SlaReport = {
  status: tiles,
  since: '2026-11-23T12:00:00.000Z',
  violations: [
    { id: 'tiles-1', sla: 'tiles', kind: 'rto-untested', subject: 'tiles', start: '2026-11-24T00:00:00.000Z', end: '2026-11-24T02:05:00.000Z', observedSeconds: -1, targetSeconds: 14_400 },
    tiles.openViolations[0]!,
  ],
  rpoHistory: { 'tiles-eu': [[1_796_040_000, 5400]] },
};

let monitorRunning = true;
const queries: Array<{ name: string; args: unknown[] }> = [];

const handle = (workflowId: string) => ({
  workflowId,
  describe: async () => {
    if (workflowId !== 'sla-monitor' || !monitorRunning) throw new WorkflowNotFoundError('not found', workflowId, undefined);
    return { status: { name: 'RUNNING' } };
  },
  query: async (name: string, ...args: Array<{ sla: string }>) => {
    queries.push({ name, args });
    if (name === 'slaStatus') return view;
    return args[0]?.sla === 'tiles' ? report : undefined;
  },
});

const client = { workflow: { getHandle: handle }, withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;
const app = createApiApp({ client, authority: {} as Authority, token: TOKEN });
const get = (path: string, token = TOKEN) => app.request(path, { headers: { Authorization: `Bearer ${token}` } });

beforeEach(() => {
  monitorRunning = true;
  queries.length = 0;
});

describe('GET /v1/slas', () => {
  it("answers the monitor's view, and 404 naming meridian apply when no monitor runs", async () => {
    const ok = await get('/v1/slas');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(view);
    expect((await get('/v1/slas', 'wrong-token-0123456789')).status).toBe(401);
    monitorRunning = false;
    const missing = await get('/v1/slas');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/no SLA monitor \(sla-monitor\) is running: meridian apply starts it/);
  });
});

describe('GET /v1/slas/:name/report', () => {
  it('asks the report query with ?since= resolved against now (a duration ago or an ISO time)', async () => {
    const before = Date.now();
    const ok = await get('/v1/slas/tiles/report?since=7d');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(report);
    const asked = queries.find((q) => q.name === 'slaReport')!.args[0] as { sla: string; since: string };
    expect(asked.sla).toBe('tiles');
    expect(Date.parse(asked.since)).toBeGreaterThanOrEqual(before - 7 * 86_400_000);
    expect(Date.parse(asked.since)).toBeLessThanOrEqual(Date.now() - 7 * 86_400_000);
    queries.length = 0;
    expect((await get('/v1/slas/tiles/report?since=2026-11-01T00:00:00Z')).status).toBe(200);
    expect(queries[0]!.args[0]).toEqual({ sla: 'tiles', since: '2026-11-01T00:00:00.000Z' });
  });

  it('renders ?format=markdown as text/markdown', async () => {
    const md = await get('/v1/slas/tiles/report?format=markdown');
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await md.text()).toMatch(/^# SLA report: tiles\n/);
  });

  it('is 404 for an SLA the monitor lacks (listing those it has), 400 for a malformed since or format', async () => {
    const unknown = await get('/v1/slas/nope/report');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('no SLA named "nope" in sla-monitor (it monitors tiles)');
    const badSince = await get('/v1/slas/tiles/report?since=yesterday');
    expect(badSince.status).toBe(400);
    expect(((await badSince.json()) as { error: { message: string } }).error.message).toMatch(/neither an ISO time .* nor a duration ago/);
    expect((await get('/v1/slas/tiles/report?format=pdf')).status).toBe(400);
    expect((await get('/v1/slas/tiles/report?since=7d&extra=1')).status).toBe(400);
    monitorRunning = false;
    expect((await get('/v1/slas/tiles/report')).status).toBe(404);
  });

  it('is in the OpenAPI document with both of its query parameters', async () => {
    const doc = (await (await app.request('/v1/openapi.json')).json()) as { paths: Record<string, { get: { parameters?: Array<{ name: string }> } }>; components: { schemas: Record<string, unknown> } };
    expect(doc.paths['/v1/slas']).toBeDefined();
    expect(doc.paths['/v1/slas/{name}/report']!.get.parameters!.map((p) => p.name)).toEqual(['name', 'since', 'format']);
    expect(doc.components.schemas.SlaReport).toBeDefined();
  });
});

describe('the Markdown report', () => {
  it('states the objectives, compliance, sources and violations as computed by hand', () => {
    const md = slaReportMarkdown(report, NOW);
    expect(md).toContain('Period: 2026-11-23 12:00 UTC to 2026-11-30 12:00 UTC');
    expect(md).toContain('Status: **not compliant (1 open violation)**');
    expect(md).toContain('| RPO | 1 h | 1 h 30 min | no |');
    expect(md).toContain('| RTO | 4 h | 25 min (2026-11-29 08:00 UTC) | yes |');
    expect(md).toContain('Rolling windows ending 2026-11-30 12:00 UTC: the share of evaluations with no open violation.');
    expect(md).toContain('| Rolling window | Compliant samples |');
    expect(md).toContain('| 24h | 93.75 % |');
    expect(md).toContain('| 7d | 99.11 % |');
    expect(md).toContain('| 30d | — |');
    // A pipe in a cell is escaped, so the table keeps its columns.
    expect(md).toContain('| tiles\\|us | 10 min | 2026-11-30 11:50 UTC |');
    expect(md).toContain('| rto-untested | tiles | 2026-11-24 00:00 UTC | 2026-11-24 02:05 UTC | 2 h 5 min | never | 4 h |');
    // The open one has lasted until now: 11:30 → 12:00.
    expect(md).toContain('| rpo | tiles-eu | 2026-11-30 11:30 UTC | open | 30 min | 1 h 30 min | 1 h |');
  });

  it('does not call the RTO met while an rto-untested violation is open, however fast the last drill was', () => {
    const untested: SlaViolation = { id: 'tiles-3', sla: 'tiles', kind: 'rto-untested', subject: 'tiles', start: '2026-11-30T11:00:00.000Z', observedSeconds: -1, targetSeconds: 14_400 };
    const md = slaReportMarkdown({ ...report, status: { ...tiles, openViolations: [untested] } }, NOW);
    expect(md).toContain('| RTO | 4 h | 25 min (2026-11-29 08:00 UTC) | no |');
    // An open RTO violation says nothing about the RPO (1 h 30 min against 1 h: not met on its own).
    const fast = slaReportMarkdown({ ...report, status: { ...tiles, rpoSeconds: 600, openViolations: [untested] } }, NOW);
    expect(fast).toContain('| RPO | 1 h | 10 min | yes |');
  });

  it('says None. for a period without violations and names a disabled SLA so', () => {
    const quiet = slaReportMarkdown({ ...report, status: { ...tiles, enabled: false, openViolations: [] }, violations: [] }, NOW);
    expect(quiet).toContain('Status: **disabled**');
    expect(quiet).toMatch(/## Violations since 2026-11-23 12:00 UTC\n\nNone\.\n$/);
  });
});

describe('since', () => {
  it('is 30 days ago by default, a duration before now, or an ISO time; anything else is refused', () => {
    expect(resolveSince(undefined, NOW)).toBe('2026-10-31T12:00:00.000Z');
    expect(resolveSince('90m', NOW)).toBe('2026-11-30T10:30:00.000Z');
    expect(resolveSince('2026-11-01', NOW)).toBe('2026-11-01T00:00:00.000Z');
    expect(() => resolveSince('last week', NOW)).toThrow(/neither an ISO time/);
    expect(() => resolveSince('2026-13-45', NOW)).toThrow(/neither an ISO time/);
  });
});
