// The SLA monitor (`sla-monitor`, started by `meridian apply`): every interval one observeFleet
// activity (newest good snapshot, counts and sizes of every source and repository, the latest
// measured recoveries), then the pure evaluation of workflows/slaLogic.ts with the workflow's own
// clock, and one event raised when a violation starts and one when it ends (never per evaluation),
// in the background; an undelivered one is raised again, same id, at later evaluations until it is.
// An observation that fails is recorded in lastError and the previous one kept (a source not
// observed for STALE_INTERVALS intervals opens an `unobserved` violation). Queries answer
// from state; a reload signal takes `meridian apply`'s new SLAs at the next evaluation. Continues as
// new with its state every EVALUATIONS_PER_RUN evaluations (or sooner when Temporal suggests it).

import { allHandlersFinished, condition, isCancellation, makeContinueAsNewFunc, proxyActivities, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { OBSERVE_FLEET_OPTIONS } from './activityOptions.js';
import { SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { raiseEvent } from './notifications.js';
import { innermostMessage } from './operations.js';
import { evaluateSlas, initialSlaState, markNotified, monitorSummary, recordObservation, slaReport, slaView, undeliveredChanges, violationEvent } from './slaLogic.js';
import { reloadSlasSignal, SLA_SETTINGS_MEMO, SlaMonitorInput, slaReportQuery, slaStatusQuery } from './slaDefs.js';

const { observeFleet } = proxyActivities<Activities>(OBSERVE_FLEET_OPTIONS);

/** Evaluations per run before continuing as new (with the state), unless Temporal suggests it sooner. */
export const EVALUATIONS_PER_RUN = 500;
/** A source whose newest observation is older than this many intervals is unobserved. */
export const STALE_INTERVALS = 3;

export async function slaMonitorWorkflow(input: SlaMonitorInput): Promise<void> {
  const { carried, ...given } = input;
  let settings = given;
  let reloaded = false;
  const state = carried ?? initialSlaState();
  state.token ??= workflowInfo().firstExecutionRunId;
  // Events being raised (by violation and phase): not raised again while in flight.
  const inFlight = new Map<string, Promise<void>>();
  setHandler(slaStatusQuery, () => slaView(state, settings, new Date()));
  setHandler(slaReportQuery, ({ sla, since }) => slaReport(state, settings.slas, sla, since, new Date()));
  setHandler(reloadSlasSignal, (next) => {
    settings = next;
    reloaded = true;
    upsertMemo({ [SLA_SETTINGS_MEMO]: settings });
  });
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'sla-monitor' }]);
  upsertMemo({ operation: 'sla-monitor', summary: 'SLA monitor', [SLA_SETTINGS_MEMO]: settings });

  for (let evaluations = 0; ; evaluations += 1) {
    if (evaluations >= EVALUATIONS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await Promise.all(inFlight.values());
      await condition(allHandlersFinished);
      await makeContinueAsNewFunc<typeof slaMonitorWorkflow>({ memo: workflowInfo().memo ?? {} })({ ...settings, carried: state });
    }
    reloaded = false;
    const started = Date.now();
    const { slas, sources, repositories } = settings;
    try {
      recordObservation(state, await observeFleet({ slas, sources, repositories }), new Date());
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.lastError = innermostMessage(err);
    }
    evaluateSlas(state, slas, new Date(), STALE_INTERVALS * settings.intervalSeconds);
    for (const change of undeliveredChanges(state)) {
      const key = `${change.violation.id}:${change.phase}`;
      if (inFlight.has(key)) continue;
      const channels = slas.find((s) => s.name === change.violation.sla)?.notify;
      const raised = raiseEvent(violationEvent(change), channels).then((outcome) => {
        if (!('failed' in outcome)) markNotified(state, change);
        inFlight.delete(key);
      });
      inFlight.set(key, raised);
    }
    setCurrentDetails(monitorSummary(state, slas));
    // An observation slower than the interval is followed by the next at once; a reload does not wait.
    const wait = started + settings.intervalSeconds * 1000 - Date.now();
    if (wait > 0) await condition(() => reloaded, wait);
  }
}
