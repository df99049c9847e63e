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
