// Ransomware alerts: a snapshot whose backup looked like ransomware at work (core/changeAnomaly.ts
// recorded why in it) is an open alert until someone acknowledges it. While an alert of a source
// is open, forget keeps every snapshot of that source taken before the alert, whatever the policy
// or the ids named, so the last good copies outlive the attack; prune then keeps their data. An
// acknowledgment is a sealed file `alerts/<snapshot id>` naming the snapshot, who and when: one
// that does not open with the repository's keys, or names another snapshot, acknowledges nothing.

import { z } from 'zod';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { Repository } from './repository.js';
import type { GroupDecision } from './retention.js';
import { resolveSnapshot, Snapshot } from './snapshots.js';

const AcknowledgmentSchema = z.object({ snapshot: z.string(), acknowledgedAt: z.string(), by: z.string() });
export type Acknowledgment = z.infer<typeof AcknowledgmentSchema>;

export interface RansomwareAlert {
  snapshotId: string;
  host: string;
  source: string;
  /** The suspected snapshot's time: the source's snapshots before it are held while the alert is open. */
  time: string;
  reasons: string[];
  acknowledged?: Acknowledgment;
}

/** Every alert of the repository (open ones without `acknowledged`), oldest first. */
export async function listAlerts(repo: Repository, snapshots: readonly Snapshot[]): Promise<RansomwareAlert[]> {
  const suspected = snapshots.filter((s) => s.suspectedRansomware !== undefined);
  if (suspected.length === 0) return []; // no acknowledgment to read
  const acknowledgments = await readAcknowledgments(repo);
  return suspected
    .sort((a, b) => a.time.localeCompare(b.time))
    .map((s) => {
      const acknowledged = acknowledgments.get(s.id);
      return { snapshotId: s.id, host: s.host, source: s.source, time: s.time, reasons: s.suspectedRansomware!.reasons, ...(acknowledged && { acknowledged }) };
    });
}

/** Acknowledges the alert of a suspected snapshot (id or unique prefix); one already acknowledged keeps its first acknowledgment. */
export async function acknowledgeAlert(repo: Repository, snapshots: readonly Snapshot[], ref: string, by: string, now = new Date()): Promise<RansomwareAlert> {
  const snapshot = resolveSnapshot([...snapshots], ref);
  const alert = (await listAlerts(repo, [snapshot]))[0];
  if (!alert) throw new RepositoryError('invalid-argument', `snapshot ${snapshot.id.slice(0, 8)} raised no ransomware alert: nothing to acknowledge`);
  if (alert.acknowledged) return alert;
  const acknowledged: Acknowledgment = { snapshot: snapshot.id, acknowledgedAt: now.toISOString(), by };
  await repo.storage.put({ type: 'alerts', name: snapshot.id }, repo.sealFile(Buffer.from(JSON.stringify(acknowledged))));
  return { ...alert, acknowledged };
}

/**
 * The groups with every snapshot an open alert holds moved from `remove` to `keep`, with the reason:
 * those of the alert's host and source taken before it.
 */
export function holdForOpenAlerts(groups: GroupDecision[], snapshots: readonly Snapshot[], alerts: readonly RansomwareAlert[]): GroupDecision[] {
  const open = alerts.filter((a) => a.acknowledged === undefined);
  if (open.length === 0) return groups;
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const holder = (id: string) => {
    const s = byId.get(id);
    return s && open.find((a) => a.host === s.host && a.source === s.source && s.time < a.time);
  };
  return groups.map((group) => {
    const held = group.remove.flatMap((d) => {
      const alert = holder(d.id);
      return alert ? [{ ...d, reasons: [`held: ransomware alert of ${alert.snapshotId.slice(0, 8)} not acknowledged`] }] : [];
    });
    if (held.length === 0) return group;
    const heldIds = new Set(held.map((d) => d.id));
    const keep = [...group.keep, ...held].sort((a, b) => b.time.localeCompare(a.time) || a.id.localeCompare(b.id));
    return { ...group, keep, remove: group.remove.filter((d) => !heldIds.has(d.id)) };
  });
}

/** The acknowledgments that open with the repository's keys and name the snapshot they are filed under. */
async function readAcknowledgments(repo: Repository): Promise<Map<string, Acknowledgment>> {
  const out = new Map<string, Acknowledgment>();
  for await (const file of repo.storage.list('alerts')) {
    try {
      const parsed = AcknowledgmentSchema.safeParse(JSON.parse(Buffer.from(repo.openFile(await repo.storage.get({ type: 'alerts', name: file.name }), `alert acknowledgment ${file.name}`)).toString('utf8')));
      if (parsed.success && parsed.data.snapshot === file.name) out.set(file.name, parsed.data);
    } catch (err) {
      if (!isDamage(err) && !(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}
