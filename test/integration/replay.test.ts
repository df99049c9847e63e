// Replays every recorded workflow history in test/replay/histories/ (one per workflow type and
// outcome, recorded by test/replay/recordHistories.ts) against the current workflow code: a change
// that would break a running execution (a new or reordered command without patching) fails here.

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../workflows/index';
import { workflowBundle } from '../helpers/meridianWorker';

const DIR = path.join(__dirname, '..', 'replay', 'histories');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('every workflow type the bundle exports has a recorded history', () => {
  const recorded = new Set(files.map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name));
  expect([...recorded].sort()).toEqual(Object.keys(workflows).sort());
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  // The recorded workflow id where the fixture has one (a runbook's child workflow ids contain it).
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, history.workflowId ?? file)).resolves.toBeUndefined();
});
