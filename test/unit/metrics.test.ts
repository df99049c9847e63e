// /metrics from memory: every cluster family filled from a fleet's state (no Temporal, no storage)
// passes `promtool check metrics`; an SLA's RPO is its sources' computed at scrape time;
// metrics.tokenFile guards the endpoint and the API's token does not open it; storage requests and
// retries are counted. (That a scrape makes no storage call is shown on a real server: the
// integration test test/integration/metrics.test.ts.)

import { Registry } from 'prom-client';
import { createApiApp } from '../../api/app';
import type { ClusterState } from '../../metrics/clusterState';
import { registerClusterMetrics } from '../../metrics/clusterMetrics';
import { metricsApp } from '../../metrics/endpoint';
import { meridianRegistry } from '../../metrics/registry';
import { installStorageMetrics } from '../../metrics/storageMetrics';
import { FaultyStorage } from '../../storage/faulty';
import { instrumented, setStorageObserver } from '../../storage/instrumentation';
import { MemoryStorage } from '../../storage/memory';
import { withRetry } from '../../storage/retry';
import type { Client } from '@temporalio/client';
import type { Authority } from '../../worker/authority';
import { fleetClusterState } from '../helpers/clusterStates';
import { promtool } from '../helpers/promtool';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const iso = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

/** 100 sources of 100 snapshots each in 4 repositories, 20 SLAs of 5 sources, 3 failovers, 10 Schedules. */
function fleetState(): ClusterState {
  const sources = Array.from({ length: 100 }, (_, i) => ({ source: `src-${i}`, repository: `repo-${i % 4}`, lastGoodSnapshotAt: iso(60 * (i + 1)), snapshotCount: 100 }));
  const repositories = [0, 1, 2, 3].map((i) => ({ repository: `repo-${i}`, snapshotCount: 2500, sizeBytes: 2500 * 1024 ** 2 }));
  return fleetClusterState({ now: NOW, sources, repositories, slas: 20, sourcesPerSla: 5, failovers: 3, schedules: 10 });
}

function scrapeApp(state: ClusterState, token?: string) {
  const registry = new Registry();
  registerClusterMetrics(registry, () => state, () => NOW);
  return metricsApp(registry, token);
}

describe('/metrics from state', () => {
  it('exposes every cluster family, and promtool finds nothing wrong', async () => {
    const response = await scrapeApp(fleetState()).request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('meridian_repository_snapshots{repository="repo-0"} 2500');
    expect(text).toContain('meridian_source_rpo_seconds{source="src-0"} 60');
    expect(text).toContain('meridian_sla_compliance_ratio{sla="sla-0",window="7d"} 0.9');
    expect(text).not.toContain('window="30d"');
    expect(text).toContain('meridian_sla_open_violations{sla="sla-0",kind="rpo"} 1');
    expect(text).toContain('meridian_sla_open_violations{sla="sla-0",kind="unobserved"} 0');
    expect(text).toContain('meridian_failover_active_region{failover="site-0",region="us"} 1');
    expect(text).toContain('meridian_failover_active_region{failover="site-0",region="eu"} 0');
    expect(text).toContain(`meridian_failover_last_event_timestamp_seconds{failover="site-0",kind="failover"} ${(NOW - 900_000) / 1000}`);
    expect(text).toContain('meridian_replication_lag_seconds{replication="site-0",replica="site-0-us"} 120');
    expect(text).toContain('meridian_replication_behind_bytes{replication="site-0",replica="site-0-us"} 4096');
    expect(text).toContain('# TYPE meridian_schedule_missed_runs_total counter');
    expect(text).toContain('meridian_schedule_skipped_runs_total{schedule="nightly-0"} 2');
    expect(text).toContain('meridian_state_refresh_failures_total{part="replication"} 1');
    await expect(promtool(text)).resolves.toBe('');
  });

  it("reports an SLA's RPO as its worst source's at scrape time, as the source gauges do", async () => {
    const state = fleetState();
    const sla = state.sla!.slas[1]!; // src-5 … src-9: the worst is src-9, 600 s ago at NOW
    sla.rpoSeconds = 1; // what an evaluation long ago left: not what a scrape reports
    const later = NOW + 3600_000;
    const registry = new Registry();
    registerClusterMetrics(registry, () => state, () => later);
    const scrape = async () => (await metricsApp(registry).request('/metrics')).text();
    const text = await scrape();
    expect(text).toContain(`meridian_source_rpo_seconds{source="src-9"} ${600 + 3600}`);
    expect(text).toContain(`meridian_sla_rpo_seconds{sla="sla-1"} ${600 + 3600}`);
    // A source without a good snapshot leaves the SLA's RPO undefined (absent), as the monitor does.
    delete sla.sources[0]!.lastGoodSnapshotAt;
    expect(await scrape()).not.toContain('meridian_sla_rpo_seconds{sla="sla-1"}');
  });

  it('asks for the metrics token when one is configured, and the API token does not open it', async () => {
    const metrics = scrapeApp(fleetState(), 'scrape-secret');
    const api = createApiApp({ client: {} as Client, authority: {} as Authority, token: 'api-secret', metrics });
    expect((await api.request('/metrics')).status).toBe(401);
    expect((await api.request('/metrics', { headers: { Authorization: 'Bearer api-secret' } })).status).toBe(401);
    expect((await api.request('/metrics', { headers: { Authorization: 'Bearer scrape-secret' } })).status).toBe(200);
    // …and the metrics token opens nothing else.
    expect((await api.request('/v1/schedules', { headers: { Authorization: 'Bearer scrape-secret' } })).status).toBe(401);
  });

  it('is open without a token, before the API authentication', async () => {
    const api = createApiApp({ client: {} as Client, authority: {} as Authority, token: 'api-secret', metrics: scrapeApp(fleetState()) });
    expect((await api.request('/metrics')).status).toBe(200);
    expect((await api.request('/v1/schedules')).status).toBe(401);
  });
});

describe('storage metrics', () => {
  afterEach(() => setStorageObserver(undefined));

  it('counts requests by outcome and the retries of transient failures', async () => {
    installStorageMetrics();
    const before = await counterValues();
    let n = 0;
    const storage = withRetry(instrumented(new FaultyStorage(new MemoryStorage(), { failureRate: 1, random: () => (n++ < 2 ? 0 : 1) }), 's3'), { backend: 's3', sleep: async () => undefined });
    await storage.put({ type: 'snapshots', name: 'bb' }, new Uint8Array(2));
    await expect(storage.get({ type: 'snapshots', name: 'cc' })).rejects.toThrow();
    const after = await counterValues();
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(delta('meridian_storage_requests_total{backend=s3,operation=put,outcome=error}')).toBe(2);
    expect(delta('meridian_storage_requests_total{backend=s3,operation=put,outcome=ok}')).toBe(1);
    expect(delta('meridian_storage_requests_total{backend=s3,operation=get,outcome=not-found}')).toBe(1);
    expect(delta('meridian_storage_retries_total{backend=s3}')).toBe(2);
  });
});

async function counterValues(): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const metric of await meridianRegistry.getMetricsAsJSON()) {
    for (const value of metric.values as Array<{ labels: Record<string, string>; value: number }>) {
      const labels = Object.entries(value.labels).map(([k, v]) => `${k}=${v}`).join(',');
      values.set(`${metric.name}{${labels}}`, value.value);
    }
  }
  return values;
}
