// Prune plans: the record a prune keeps under locks/ (beside the locks, but not a lock) saying
// which packs it condemned and how far it got ('marked' → 'sweeping' → 'done'). Backups read the
// plans to stay away from condemned packs and to notice a sweep that began while they ran; a
// rerun of prune reads them to finish a killed one.

import { z } from 'zod';
import { randomId } from './crypto.js';
import { isDamage } from './damage.js';
import { Repository, jsonBytes } from './repository.js';
import { isNotFound } from '../storage/storage.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const PackRefSchema = z.object({ id: hex64, size: z.number().int().nonnegative() });
export type PackRef = z.infer<typeof PackRefSchema>;

export const PRUNE_PLAN_STATES = ['marked', 'sweeping', 'done'] as const;
export type PrunePlanState = (typeof PRUNE_PLAN_STATES)[number];

export const PrunePlanSchema = z.object({
  kind: z.literal('prune-plan'),
  /** Also the plan's file name under locks/. */
  id: hex64,
  state: z.enum(PRUNE_PLAN_STATES),
  /** The writer's clock, for people reading the plan; never compared with another host's. */
  createdAt: z.string(),
  maxUnusedPercent: z.number().min(0).max(100),
  /** Snapshots the mark walked: the sweep walks only the others (committed since). */
  snapshotsSeen: z.array(hex64),
  /** Journal segments the mark walked (absent in plans written before journals: the sweep walks them all). */
  journalSeen: z.array(hex64).optional(),
  /** Packs with no used blob: deleted by the sweep. */
  deletePacks: z.array(PackRefSchema),
  /** Packs whose used blobs were copied into `writtenPacks`: deleted by the sweep. */
  repackPacks: z.array(PackRefSchema),
  /** The packs the repack wrote (already indexed when the plan is written). */
  writtenPacks: z.array(hex64),
  /** Packs no index file named at mark time: deleted by the sweep only when every writer of that time is gone. */
  unindexedPacks: z.array(PackRefSchema),
  /** Temporary files of writers (local disk) present at mark time, removed once their writers are gone. */
  leftovers: z.array(z.string()),
  /** Condemned packs the sweep kept because a snapshot committed during the prune uses them. */
  rescuedPacks: z.array(hex64),
  /** Set once the snapshots committed since the mark are walked and `rescuedPacks` is final: only then does the sweep delete anything. */
  rescueDone: z.boolean(),
  packsKept: z.number().int().nonnegative(),
  bytesKept: z.number().int().nonnegative(),
  bytesWritten: z.number().int().nonnegative(),
  indexFilesBefore: z.number().int().nonnegative(),
});
export type PrunePlan = z.infer<typeof PrunePlanSchema>;

export interface PlanListing {
  plans: PrunePlan[];
  /** Files under locks/ that could not be opened or parsed (reported by the locks part). */
  unreadable: string[];
}

/** Every prune plan under locks/; files of other kinds (locks) are skipped, damaged ones listed. */
export async function readPrunePlans(repo: Repository): Promise<PlanListing> {
  const listing: PlanListing = { plans: [], unreadable: [] };
  for await (const entry of repo.storage.list('locks')) {
    let value: unknown;
    try {
      const stored = await repo.storage.get({ type: 'locks', name: entry.name });
      value = JSON.parse(Buffer.from(repo.openFile(stored, `locks file ${entry.name}`)).toString('utf8'));
    } catch (err) {
      if (isNotFound(err)) continue; // released or replaced between the listing and the read
      if (!isDamage(err) && !(err instanceof SyntaxError)) throw err;
      listing.unreadable.push(entry.name);
      continue;
    }
    if ((value as { kind?: unknown } | null)?.kind !== 'prune-plan') continue;
    const plan = PrunePlanSchema.safeParse(value);
    if (plan.success && plan.data.id === entry.name) listing.plans.push(plan.data);
    else listing.unreadable.push(entry.name);
  }
  return listing;
}

/** Writes (or overwrites: the name is the plan's id) a plan. */
export async function savePrunePlan(repo: Repository, plan: PrunePlan): Promise<void> {
  await repo.storage.put({ type: 'locks', name: plan.id }, repo.sealFile(jsonBytes(plan)));
}

export async function deletePrunePlan(repo: Repository, id: string): Promise<void> {
  try {
    await repo.storage.delete({ type: 'locks', name: id });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function newPrunePlanId(): string {
  return randomId();
}

/** Packs a plan will delete (unless rescued): what writers must not dedupe against while it is not done. */
export function condemnedPacks(plan: PrunePlan): string[] {
  return [...plan.deletePacks, ...plan.repackPacks].map((p) => p.id);
}

/** The condemned packs of every plan not yet done: excluded from a writer's index. */
export function packsToAvoid(plans: PrunePlan[]): Set<string> {
  const out = new Set<string>();
  for (const plan of plans) if (plan.state !== 'done') for (const pack of condemnedPacks(plan)) out.add(pack);
  return out;
}

/** The condemned packs of the plans not done now: what readers (restore, verify) use last. */
export async function packsBeingPruned(repo: Repository): Promise<Set<string>> {
  return packsToAvoid((await readPrunePlans(repo)).plans);
}

/** A plan the writer did not see when it started and whose sweep has begun: the writer's snapshot may name deleted data. */
export function sweepBegunSince(seenAtStart: ReadonlySet<string>, now: PrunePlan[]): PrunePlan | undefined {
  return now.find((plan) => !seenAtStart.has(plan.id) && plan.state !== 'marked' && condemnedPacks(plan).length > 0);
}
