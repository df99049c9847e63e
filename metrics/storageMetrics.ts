// Storage request and retry counters of this process, fed by the storage instrumentation hook
// (storage/instrumentation.ts): installStorageMetrics makes every storage opened afterwards count
// into the Meridian registry, by backend kind, operation and outcome.

import { Counter } from 'prom-client';
import { setStorageObserver } from '../storage/instrumentation.js';
import { meridianRegistry } from './registry.js';

const requests = new Counter({
  name: 'meridian_storage_requests_total',
  help: 'Storage requests of this process (each try), by backend, operation and outcome (ok, not-found, error).',
  labelNames: ['backend', 'operation', 'outcome'] as const,
  registers: [meridianRegistry],
});

const retries = new Counter({
  name: 'meridian_storage_retries_total',
  help: 'Retries of failed storage requests (transient errors) by the retry wrapper of this process, by backend.',
  labelNames: ['backend'] as const,
  registers: [meridianRegistry],
});

export function installStorageMetrics(): void {
  setStorageObserver({
    request: (backend, operation, outcome) => requests.inc({ backend, operation, outcome }),
    retry: (backend) => retries.inc({ backend }),
  });
}
