// How workflows call activities: the data-plane activities (long, heartbeating, retried by the
// failure policy) and the notify activity (short, a few retries). Shared by the operation
// workflows and the scheduled ones so that they all behave alike. Deterministic, no Node imports.

import { ActivityCancellationType, ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { DATA_PLANE_RETRY, NON_RETRYABLE_FAILURE_TYPES } from './failurePolicy.js';

/**
 * Data-plane activities: long, heartbeating, retried by the failure policy (bounded, with backoff).
 * A canceled workflow waits for its activity to stop (it learns of the cancellation from its next
 * heartbeat), so a run that reads "canceled" no longer writes to the repository or the target.
 */
export const DATA_PLANE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '20 seconds',
  retry: DATA_PLANE_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** The data-plane options on the task queue of the host that holds the data, when one is named. */
export function dataPlaneOptions(dataTaskQueue: string | undefined): ActivityOptions {
  return dataTaskQueue ? { ...DATA_PLANE_OPTIONS, taskQueue: dataTaskQueue } : DATA_PLANE_OPTIONS;
}

/**
 * The notify activity (activities/notify.ts): each webhook has 10 s to answer; an undelivered
 * notification is retried after 1, 2, 4, 8 s, 5 attempts in all, then the caller goes on without it.
 */
export const NOTIFY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};

/**
 * A replication pass to one replica (activities/replication.ts): up to 2 hours (a pass stops itself
 * at a file boundary after 30 minutes and the workflow runs another), the data plane's 20 s heartbeat
 * timeout, 3 attempts. The set's workflow retries a failing replica itself, on a backoff timer, so the
 * activity's own retries only ride out a blip and the replica's status turns `failing` soon.
 */
export const REPLICATION_PASS_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { ...DATA_PLANE_RETRY, maximumAttempts: 3 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/** A replica compared with its primary: the pass options, with the data plane's longer retries (it waits out a running pass or prune). */
export const REPLICA_COMPARE_OPTIONS: ActivityOptions = { ...REPLICATION_PASS_OPTIONS, retry: DATA_PLANE_RETRY };

/** Resolving a replica set in the worker's configuration (a local activity: no storage, no wait). */
export const REPLICA_SET_LOOKUP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};

/**
 * A failover monitor's check of its regions (activities/failover.ts checkRegions): every probe has
 * its own timeout, so the activity gets a little more than the probe timeout and one retry (a
 * check that fails is data: the monitor counts it, it does not retry it).
 */
export function failoverCheckOptions(probeTimeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: probeTimeoutMs + 5_000,
    retry: { initialInterval: '1 second', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
  };
}

/** Reading a failover entry or the set's lags (describeFailover is a local activity: no storage). */
export const FAILOVER_LOOKUP_OPTIONS: LocalActivityOptions = REPLICA_SET_LOOKUP_OPTIONS;

/**
 * A failover monitor's first read of its entry: retried with backoff for as long as it takes (the
 * monitor is what every worker asks for the active region, so a blip must not end it); an entry
 * its worker does not know (a non-retryable failure) still ends it.
 */
export const FAILOVER_START_LOOKUP_OPTIONS: LocalActivityOptions = {
  ...FAILOVER_LOOKUP_OPTIONS,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};

/**
 * Promote, resync, catch up and switch: heartbeating, retried with the data plane's backoff, an
 * exclusive lock held elsewhere ('locked': a replication pass, a backup ending) retried too.
 */
export const FAILOVER_SWITCH_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { ...DATA_PLANE_RETRY, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES.filter((type) => type !== 'locked') },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

/**
 * A graceful switch (switchRegion): bounded, so a switch stuck behind a lock or a dying source
 * ends soon and the monitor decides again (a forced promotion when the source is now unhealthy).
 */
export const GRACEFUL_SWITCH_OPTIONS: ActivityOptions = { ...FAILOVER_SWITCH_OPTIONS, scheduleToCloseTimeout: '2 minutes' };

/** The regions' replication lag (activities/failover.ts regionLags, a query of the set's workflow): short, a few tries. */
export const REGION_LAG_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};

/** Which regions are writable (activities/failover.ts discoverRegions): each read is bounded by the probe timeout, so a little more than it, a few tries. */
export function discoverRegionsOptions(probeTimeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: probeTimeoutMs + 10_000,
    retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
  };
}

/**
 * The SLA monitor's observation of the fleet (activities/sla.ts observeFleet): lists snapshots of
 * every repository, heartbeating; two attempts, then the monitor records the failure and keeps its
 * previous observation until the next interval.
 */
export const OBSERVE_FLEET_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};
