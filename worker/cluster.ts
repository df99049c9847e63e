// What activities may ask of the Temporal cluster they run in: the active region of a failover
// entry, its regions awaiting a resync and a switch under way (its monitor's query), and the
// replication state of a set (its workflow's query). The worker builds it from a Client on its own connection (worker/clusterReader.ts); a CLI command's
// own worker has none, and then every set's configured primary is active.

import type { PassResult } from '../core/replicationTypes.js';
import type { ReplicationState } from '../workflows/replicationDefs.js';
import type { ManualFailbackRequest, ManualFailoverRequest, SwitchAccepted } from '../workflows/failoverDefs.js';

/** A failover monitor's answer: the active region, the regions that must be re-synced before they are replicas again, and a switch under way. */
export interface FailoverView {
  activeRegion: string;
  needsResync: string[];
  switching?: { from: string; to: string };
}

export interface ClusterAccess {
  /** What failover entry `name`'s monitor says; undefined when it does not exist (not applied yet): the primary region is active. Throws (retryably) when the monitor exists but does not answer. */
  failoverView(name: string): Promise<FailoverView | undefined>;
  /** The state of replica set `set`'s workflow; undefined when it does not exist. */
  replicationState(set: string): Promise<ReplicationState | undefined>;
  /** A runbook's failover / failback step: the monitor's Update, as `request.by`; `updateId` is the idempotency key (the same id twice is one switch). */
  failover(name: string, request: ManualFailoverRequest, updateId: string): Promise<SwitchAccepted>;
  failback(name: string, request: ManualFailbackRequest, updateId: string): Promise<SwitchAccepted>;
  /** A runbook's replicate step: the set workflow's replicateNow Update (started first if it is not running). */
  replicateNow(set: string, full: boolean, updateId: string): Promise<PassResult[]>;
}
