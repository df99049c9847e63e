// The SLA monitor on the real dev server. With a real worker over a real local repository, a real
// source and a real HTTP receiver: a restore measures the RTO, backups stop, and the monitor raises
// ONE RPO violation within target + one interval, ONE signed webhook for it (however many
// evaluations see it), and ONE resolved after the next backup. With stand-in activities: the
// history stays bounded as the monitor continues as new with its state, seeded with `carried`, and
// an undelivered event is raised again (same id) until it is delivered.

import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { startOperation } from '../../api/operations';
import { LocalStorage } from '../../storage/local';
import { Repository } from '../../core/repository';
import { configuredAuthority } from '../../worker/authority';
import type { WorkerConfig } from '../../worker/workerConfig';
import { repositoryLocationKey } from '../../storage/open';
import type { MeridianEvent, NotifyEventInput, NotifyEventOutput } from '../../workflows/eventDefs';
import type { BackupOutput } from '../../workflows/shared';
import { SlaMonitorInput, SlaMonitorView, slaReportQuery, slaStatusQuery, SourceObservation } from '../../workflows/slaDefs';
import { EVALUATIONS_PER_RUN } from '../../workflows/sla';
import { evaluateSlas, initialSlaState, markNotified, recordObservation, undeliveredChanges } from '../../workflows/slaLogic';
import { startWorker, workflowBundle } from '../helpers/meridianWorker';
import { eventually, readUntil } from '../helpers/polling';
import { runLengths } from '../helpers/runChain';
import { uniqueTaskQueue, useTestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';
import { startWebhookServer, WebhookServer } from '../helpers/webhookServer';

const scope = useTestConnection();
const PASSPHRASE = 'sla monitor';
const RPO_SECONDS = 8;
const INTERVAL_SECONDS = 1;

describe('a real worker, repository and webhook receiver', () => {
  let receiver: WebhookServer;
  beforeAll(async () => {
    receiver = await startWebhookServer();
  });
  afterAll(() => receiver.close());

  test('backups stop: one RPO violation within target + one interval, one webhook, one resolved after the next backup', async () => {
    const repoDir = tempDir('sla-repo');
    await (await Repository.init(new LocalStorage(repoDir), PASSPHRASE)).storage.close();
    const source = tempDir('sla-src');
    fs.writeFileSync(path.join(source, 'tile.txt'), 'first\n');
    const secretFile = path.join(tempDir('sla-secret'), 'secret');
    fs.writeFileSync(secretFile, 'webhook secret\n');
    const workerConfig: WorkerConfig = {
      repositories: [{ name: 'main', url: repoDir, key: repositoryLocationKey(repoDir) }],
      sourceRoots: [source],
      restoreRoots: [path.dirname(tempDir('sla-restore'))],
      sources: { tiles: { path: source, repository: 'main' } },
      notifications: { ops: { webhook: { url: `${receiver.origin}/hooks/meridian`, secretFile }, minSeverity: 'info' } },
      origin: { kind: 'command' },
    };
    const worker = await startWorker(scope.t, PASSPHRASE, uniqueTaskQueue('sla'), { authority: configuredAuthority(workerConfig, { passphrase: PASSPHRASE }), workerConfig });
    const { client } = scope.t;
    const backup = async (): Promise<BackupOutput> => (await startOperation(client, 'backup', { repo: 'main', path: source }, worker.taskQueue)).result();
    try {
      // A restore drill measures the RTO (so only the RPO is at stake here), seen in visibility before the monitor starts.
      const first = await backup();
      const restore = await startOperation(client, 'restore', { repo: 'main', snapshot: first.snapshotId, target: tempDir('sla-restore') }, worker.taskQueue);
      await restore.result();
      await eventually('the restore in visibility', async () => {
        for await (const info of client.workflow.list({ query: `WorkflowId = '${restore.workflowId}' AND ExecutionStatus = 'Completed'` })) return info;
        return undefined;
      });

      fs.writeFileSync(path.join(source, 'tile.txt'), 'second\n');
      await backup();
      const input: SlaMonitorInput = {
        slas: [{ name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: RPO_SECONDS, rtoSeconds: 3600, rtoTestedWithinSeconds: 86_400, notify: ['ops'] }],
        sources: ['tiles'],
        repositories: ['main'],
        intervalSeconds: INTERVAL_SECONDS,
      };
      const handle = await client.workflow.start('slaMonitorWorkflow', { taskQueue: worker.taskQueue, workflowId: uniqueTaskQueue('sla-monitor'), args: [input] });
      const status = () => handle.query(slaStatusQuery);
      // Violation ids carry the monitor's first run id: a recreated monitor never repeats an event id.
      const id = `gold-${handle.firstExecutionRunId}-1`;
      try {
        const compliant = await readUntil('a first evaluation', status, (v) => v.evaluations >= 1);
        expect(compliant.lastError).toBeUndefined();
        expect(compliant.slas[0]).toMatchObject({ name: 'gold', compliant: true, rtoSeconds: expect.any(Number), openViolations: [] });
        expect(compliant.repositories).toEqual([{ repository: 'main', snapshotCount: 2, sizeBytes: expect.any(Number), openRansomwareAlerts: 0 }]);
        const lastGood = Date.parse(compliant.sources[0]!.lastGoodSnapshotAt!);

        // Backups stop: the violation opens once the RPO passes the target.
        const violated = await readUntil('an RPO violation', status, (v) => v.slas[0]!.openViolations.length > 0, 60_000, 200);
        const [violation] = violated.slas[0]!.openViolations;
        expect(violation).toMatchObject({ id, kind: 'rpo', subject: 'tiles', targetSeconds: RPO_SECONDS });
        // Opened at the first evaluation past the target: within target + one interval (plus the observation's own run).
        const lateBy = Date.parse(violation!.start) - lastGood - RPO_SECONDS * 1000;
        expect(lateBy).toBeGreaterThan(0);
        expect(lateBy).toBeLessThan((INTERVAL_SECONDS + 2) * 1000);
        await eventually('the started webhook', () => (receiver.received.length > 0 ? receiver.received : undefined));
        // More evaluations see the same violation: no second notification.
        await readUntil('three more evaluations', status, (v) => v.evaluations >= violated.evaluations + 3);
        expect(receiver.received).toHaveLength(1);

        fs.writeFileSync(path.join(source, 'tile.txt'), 'third\n');
        await backup();
        const resolved = await readUntil('the violation resolved', status, (v) => v.slas[0]!.openViolations.length === 0, 60_000, 200);
        expect(resolved.slas[0]!.compliant).toBe(true);
        await eventually('the resolved webhook', () => (receiver.received.length > 1 ? receiver.received : undefined));
        await readUntil('two more evaluations', status, (v) => v.evaluations >= resolved.evaluations + 2);

        expect(receiver.received.map((r) => [r.url, r.headers['meridian-event'], r.headers['idempotency-key']])).toEqual([
          ['/hooks/meridian', 'sla-violation-started', `sla:${id}:started`],
          ['/hooks/meridian', 'sla-violation-resolved', `sla:${id}:resolved`],
        ]);
        const started = receiver.received[0]!.body as MeridianEvent;
        expect(started).toMatchObject({ kind: 'sla-violation-started', subject: 'gold', workflowId: handle.workflowId, details: { kind: 'rpo', subject: 'tiles', targetSeconds: RPO_SECONDS } });
        expect(receiver.received[0]!.headers['meridian-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

        const report = await handle.query(slaReportQuery, { sla: 'gold' });
        expect(report!.violations).toEqual([expect.objectContaining({ id, end: expect.any(String) })]);
        expect(report!.status.compliance['24h']).toBeGreaterThan(0);
        expect(report!.status.compliance['24h']).toBeLessThan(1);
      } finally {
        await handle.terminate('test over');
      }
    } finally {
      await worker.stop();
    }
  });
});

test('stand-ins: across continue-as-new the state carries on (seeded with carried) and each run history is bounded', async () => {
  const observation: SourceObservation = { source: 'tiles', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: new Date().toISOString(), lastRecovery: { kind: 'restore', at: new Date().toISOString(), seconds: 5, workflowId: 'r' } };
  const notified: string[] = [];
  const activities = {
    observeFleet: async () => ({ sources: [{ ...observation, lastGoodSnapshotAt: new Date().toISOString() }], repositories: [{ repository: 'main', snapshotCount: 1, sizeBytes: 1 }] }),
    notifyEvent: async ({ event }: NotifyEventInput): Promise<NotifyEventOutput> => {
      notified.push(event.id);
      return { delivered: [], filtered: [] };
    },
  };
  // Seeded: an old violation, open, that the first evaluation resolves (carried state is used, not discarded).
  const carried = initialSlaState();
  recordObservation(carried, { sources: [{ ...observation, lastGoodSnapshotAt: '2026-01-01T00:00:00Z' }], repositories: [] });
  const slas: SlaMonitorInput['slas'] = [{ name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: 3600, rtoSeconds: 3600, rtoTestedWithinSeconds: 10 * 365 * 86_400 }];
  evaluateSlas(carried, slas, new Date());
  for (const change of undeliveredChanges(carried)) markNotified(carried, change); // its start was told
  const taskQueue = uniqueTaskQueue('sla-standins');
  const worker = await Worker.create({ connection: scope.t.connection, namespace: scope.t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities, shutdownGraceTime: '1s' });
  await worker.runUntil(async () => {
    // 1 ms: each evaluation follows the last at once.
    const handle = await scope.t.client.workflow.start('slaMonitorWorkflow', { taskQueue, workflowId: uniqueTaskQueue('sla-monitor'), args: [{ slas, sources: ['tiles'], repositories: ['main'], intervalSeconds: 0.001, carried }] });
    try {
      const total = EVALUATIONS_PER_RUN + 20;
      const after: SlaMonitorView = await readUntil(`${total} evaluations`, () => handle.query(slaStatusQuery), (v) => v.evaluations >= total, 300_000, 1000);
      expect(after.slas[0]).toMatchObject({ compliant: true, compliance: { '24h': expect.any(Number) } });
      expect(notified).toEqual(['sla:gold-1:resolved']);
      const runs = await runLengths(scope.t.client, handle);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const length of runs) expect(length).toBeLessThan(EVALUATIONS_PER_RUN * 15);
    } finally {
      await handle.terminate('test over');
    }
  });
});

test('stand-ins: an event whose delivery failed is raised again, same id, at later evaluations until delivered, then never again', async () => {
  const calls: string[] = [];
  const activities = {
    observeFleet: async () => ({ sources: [{ source: 'tiles', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: '2026-01-01T00:00:00Z', lastRecovery: { kind: 'restore' as const, at: new Date().toISOString(), seconds: 5, workflowId: 'r' } }], repositories: [] }),
    notifyEvent: async ({ event }: NotifyEventInput): Promise<NotifyEventOutput> => {
      calls.push(event.id);
      if (calls.length <= 2) throw ApplicationFailure.nonRetryable('receiver down');
      return { delivered: ['ops'], filtered: [] };
    },
  };
  const slas: SlaMonitorInput['slas'] = [{ name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: 3600, rtoSeconds: 3600, rtoTestedWithinSeconds: 86_400 }];
  const taskQueue = uniqueTaskQueue('sla-redeliver');
  const worker = await Worker.create({ connection: scope.t.connection, namespace: scope.t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities, shutdownGraceTime: '1s' });
  await worker.runUntil(async () => {
    const handle = await scope.t.client.workflow.start('slaMonitorWorkflow', { taskQueue, workflowId: uniqueTaskQueue('sla-monitor'), args: [{ slas, sources: ['tiles'], repositories: ['main'], intervalSeconds: 0.2 }] });
    try {
      await eventually('delivered at the third raise', () => (calls.length >= 3 ? calls : undefined));
      const delivered = await handle.query(slaStatusQuery);
      await readUntil('five more evaluations', () => handle.query(slaStatusQuery), (v) => v.evaluations >= delivered.evaluations + 5);
      expect(calls).toEqual(Array(3).fill(`sla:gold-${handle.firstExecutionRunId}-1:started`));
    } finally {
      await handle.terminate('test over');
    }
  });
});
