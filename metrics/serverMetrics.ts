// /metrics for `meridian server` and `meridian worker`. Both count storage requests into the
// registry (their workers count operations through the activity interceptor). The server also
// registers the cluster gauges over an in-memory state that a background loop refreshes from
// Temporal, and serves GET /metrics on the API's listener (the app returned, to mount) or on
// metrics.bind alone; a worker serves its own counters on metrics.bind only (the cluster gauges
// are the server's: every worker repeating them would count the cluster many times).

import type { Client } from '@temporalio/client';
import type { Hono } from 'hono';
import { readTokenFile } from '../api/tokens.js';
import type { MeridianConfig, MetricsSettings } from '../config/schema.js';
import { ClusterStateCache, DEFAULT_REFRESH_MS, temporalReaders } from './clusterState.js';
import { registerClusterMetrics } from './clusterMetrics.js';
import { meridianRegistry } from './registry.js';
import { installStorageMetrics } from './storageMetrics.js';

export interface ServedMetrics {
  /** GET /metrics to mount on the API app; undefined when served on its own listener (or not at all). */
  onApi?: Hono;
  /** The own listener's address (metrics.bind), when there is one. */
  own?: { host: string; port: number };
  close(): Promise<void>;
}

type MetricsConfig = Pick<MeridianConfig, 'failover' | 'replication' | 'repositories' | 'schedules' | 'metrics'>;
/** Without a meridian.yaml only the sla-monitor is read (there is no entry to read the rest of). */
const NO_ENTRIES: MetricsConfig = { failover: {}, replication: {}, repositories: {}, schedules: {} };

/**
 * The scrape token of metrics.tokenFile (undefined without one). Read before anything listens, so
 * a missing or empty file is a one-line usage error naming it, not a failure to listen.
 */
export function metricsToken(settings: MetricsSettings | undefined): string | undefined {
  return settings?.tokenFile !== undefined ? readTokenFile(settings.tokenFile, 'metrics.tokenFile') : undefined;
}

/** Where /metrics listens, for errors and notices. */
export const metricsListener = (settings: MetricsSettings | undefined) => settings?.bind ?? 'the API listener';

export async function startServerMetrics(client: Client, config: MetricsConfig | undefined, token: string | undefined, refreshMs = DEFAULT_REFRESH_MS): Promise<ServedMetrics> {
  const cache = new ClusterStateCache(temporalReaders(client, config ?? NO_ENTRIES), refreshMs);
  registerClusterMetrics(meridianRegistry, () => cache.state);
  const served = await serveMetrics(config?.metrics, token, true);
  cache.start();
  return {
    ...served,
    async close() {
      await cache.stop();
      await served.close();
    },
  };
}

/** `meridian worker`: its own counters on metrics.bind; nothing without one. */
export async function startWorkerMetrics(settings: MetricsSettings | undefined, token: string | undefined): Promise<ServedMetrics> {
  return serveMetrics(settings, token, false);
}

async function serveMetrics(settings: MetricsSettings | undefined, token: string | undefined, mountable: boolean): Promise<ServedMetrics> {
  installStorageMetrics();
  // A worker that serves no /metrics does not load the HTTP app and server (hono, its Node adapter).
  if (settings?.bind === undefined && !mountable) return { close: async () => undefined };
  const app = (await import('./endpoint.js')).metricsApp(meridianRegistry, token);
  if (settings?.bind === undefined) return { onApi: app, close: async () => undefined };
  const { parseBind, serveApi } = await import('../api/serve.js');
  const { host, port } = parseBind(settings.bind);
  const served = await serveApi(app, port, host);
  return { own: { host, port: served.port }, close: () => served.close() };
}
