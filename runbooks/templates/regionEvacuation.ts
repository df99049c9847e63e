// Built-in runbook `region-evacuation`: a planned move out of a healthy region (maintenance, a
// provider's announced outage). Every region must be healthy, a full replication pass brings the
// replicas up to date, a person approves, then the graceful switch moves the active region (the
// old one made a replica after a final pass: no snapshot is lost), and the new region is checked.
//   meridian runbook run region-evacuation --param failover=NAME --param set=SET --param to=REGION

import type { RunbookTemplate } from './template.js';

export const regionEvacuation: RunbookTemplate = {
  description: 'Region evacuation: with every region healthy, replicate fully, approve, switch the active region gracefully, check the new one',
  params: {
    failover: { description: 'the failover entry of meridian.yaml', required: true },
    set: { description: 'its replica set (replication entry)', required: true },
    to: { description: 'the region to move to', required: true },
    reason: { description: 'why, recorded in the failover event', default: 'region-evacuation runbook' },
  },
  steps: [
    { name: 'check-regions', kind: 'automated', action: 'health-check', params: { failover: '${failover}', require: 'all' } },
    { name: 'catch-up', kind: 'automated', action: 'replicate', params: { set: '${set}', full: true }, onFailure: 'retry 2' },
    { name: 'approve-move', kind: 'manual', instructions: 'The replicas of ${set} are up to date; approve to move the active region of ${failover} to ${to}.', approvalTimeout: '3d', onTimeout: 'abort' },
    { name: 'switch', kind: 'automated', action: 'failover', params: { failover: '${failover}', to: '${to}', reason: '${reason}' } },
    { name: 'check-after', kind: 'automated', action: 'health-check', params: { failover: '${failover}', require: 'all' } },
  ],
};
