// Built-in runbook `restore-drill`: proves a source can be recovered, and how fast. It restores the
// latest snapshot of the source into a scratch directory and compares the restored tree with the
// source; the execution's duration is recorded as its measured RTO (recovery time objective).
// Run it on a source that does not change during the drill, or expect the compare step to list
// what changed since the snapshot.
//   meridian runbook run restore-drill --param repo=REPO --param source=/data --param target=/scratch/drill

import type { RunbookTemplate } from './template.js';

export const restoreDrill: RunbookTemplate = {
  description: 'Restore drill: restore the latest snapshot of a source into a scratch directory, compare it with the source, record the measured recovery time',
  params: {
    repo: { description: 'the repository (name or URL)', required: true },
    source: { description: 'the backed-up directory (its latest snapshot is restored, and the result compared with it)', required: true },
    target: { description: 'an empty scratch directory under the worker\'s restore roots', required: true },
  },
  steps: [
    { name: 'find-latest', kind: 'automated', action: 'find-snapshot', params: { repo: '${repo}', source: '${source}' } },
    { name: 'restore', kind: 'automated', action: 'restore', params: { repo: '${repo}', snapshot: '${steps.find-latest.snapshotId}', target: '${target}' } },
    { name: 'compare', kind: 'automated', action: 'compare', params: { repo: '${repo}', source: '${source}', target: '${target}' } },
  ],
};
