// The process's own Prometheus registry (never prom-client's global one, which libraries may
// fill): the worker's counters and histograms, the storage counters and the cluster gauges are
// all registered here, with the Node process metrics, and GET /metrics serves it.

import { collectDefaultMetrics, Registry } from 'prom-client';

export const meridianRegistry = new Registry();
collectDefaultMetrics({ register: meridianRegistry });
// prom-client names these gauges `_total`, which the naming guide (and promtool) keeps for
// counters; nodejs_active_handles, _requests and _resources (by type) say the same per kind.
for (const misnamed of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) meridianRegistry.removeSingleMetric(misnamed);
