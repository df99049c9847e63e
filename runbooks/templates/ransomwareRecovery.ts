// Built-in runbook `ransomware-recovery`: recovers from data encrypted or destroyed by an attacker.
// It finds the newest snapshot taken before the attack (the oldest open ransomware alert of the
// repository, for the source when given, and the given time when there is one: the earlier of the
// two) that passes a deep verify (every pack read and authenticated), restores it into an isolated directory (not the production path, which
// may still be compromised: a target that is the snapshot's source path or inside it is refused),
// checks the restored tree against the snapshot (every entry there, same kind, size and link
// target, nothing extra), and waits for a person to inspect the restored data and approve the
// hand-over (7 days, then the execution fails).
//   meridian runbook run ransomware-recovery --param repo=REPO --param target=/isolated/restore [--param before=2026-11-29T22:00:00Z]

import type { RunbookTemplate } from './template.js';

export const ransomwareRecovery: RunbookTemplate = {
  description: 'Ransomware recovery: restore the newest snapshot before the ransomware alert (or a time) that deep-verifies into an isolated directory, check it against the snapshot, hand over after approval',
  params: {
    repo: { description: 'the repository (name or URL)', required: true },
    before: { description: 'the time the attack began (ISO 8601 with a zone); default: the oldest open ransomware alert (with both, the earlier)', default: '' },
    target: { description: 'an isolated, empty directory under the worker\'s restore roots', required: true },
    source: { description: 'only snapshots of this backed-up path (default: any)', default: '' },
  },
  steps: [
    { name: 'find-clean', kind: 'automated', action: 'find-snapshot', params: { repo: '${repo}', before: '${before}', beforeAlert: true, source: '${source}', deepVerify: true, restoreTarget: '${target}' } },
    { name: 'restore', kind: 'automated', action: 'restore', params: { repo: '${repo}', snapshot: '${steps.find-clean.snapshotId}', target: '${target}' } },
    { name: 'check-restored', kind: 'automated', action: 'compare', params: { repo: '${repo}', snapshot: '${steps.find-clean.snapshotId}', target: '${target}' } },
    {
      name: 'hand-over',
      kind: 'manual',
      instructions: 'Inspect the data restored into ${target} (from the snapshot found by step find-clean) on an isolated host; approve to hand it over to production, reject to stop.',
      approvalTimeout: '7d',
      onTimeout: 'abort',
    },
  ],
};
