// Built-in runbook `datacenter-failover`: moves a failover entry's active region away from a
// datacenter that is down or must be abandoned now. It records every region's health, waits for a
// person to confirm the failover, moves the active region (the monitor's failover Update: forced
// when the active region is unhealthy, graceful otherwise), checks that a region answers again, and
// waits for the confirmation that the platform works from the new region.
//   meridian runbook run datacenter-failover --param failover=NAME [--param to=REGION]

import type { RunbookTemplate } from './template.js';

export const datacenterFailover: RunbookTemplate = {
  description: 'Datacenter failover: check the regions, confirm, move the active region to a secondary, check again, confirm the service',
  params: {
    failover: { description: 'the failover entry of meridian.yaml', required: true },
    to: { description: 'the region to move to (default: the first healthy secondary)', default: '' },
    reason: { description: 'why, recorded in the failover event', default: 'datacenter-failover runbook' },
  },
  steps: [
    { name: 'check-regions', kind: 'automated', action: 'health-check', params: { failover: '${failover}', require: 'none' } },
    { name: 'confirm-failover', kind: 'manual', instructions: 'Check the health recorded by step check-regions; approve to move the active region of ${failover} away from its current region.', approvalTimeout: '1d', onTimeout: 'abort' },
    { name: 'failover', kind: 'automated', action: 'failover', params: { failover: '${failover}', to: '${to}', reason: '${reason}' } },
    { name: 'check-after', kind: 'automated', action: 'health-check', params: { failover: '${failover}', require: 'any' } },
    { name: 'confirm-service', kind: 'manual', instructions: 'Confirm that the platform serves from the new active region (clients, DNS, databases); approve when it does.', approvalTimeout: '1d', onTimeout: 'continue' },
  ],
};
