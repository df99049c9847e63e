// The forget + prune scenario. One history (the dataset edited ~5% a day, one backup a day, its
// time given with --time) is built in restic and in Meridian; the same policy then forgets most
// of it and prune reclaims the space: restic `forget --prune` against Meridian's forget then prune
// (the engine, one process): wall time, bytes freed, repository size after. Then backups during a
// prune: Meridian's backup of the next day alone, and while forget + prune runs on a copy of the
// same repository; restic's backup started while `restic prune` runs (restic refuses it: its
// prune holds an exclusive lock).

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { editDataset } from './dataset.js';
import { directoryUsage, measure, measureConcurrently, Measurement } from './measure.js';
import { engineCommand, meridianEngine, resticCommand } from './tools.js';

const POLICY = { keepDaily: 4 };
const RESTIC_POLICY = ['--keep-daily', '4'];

export interface ForgetPruneFigures extends Measurement {
  tool: 'restic' | 'meridian-engine';
  historyBytes: number;
  bytesAfter: number;
  bytesFreed: number;
}

export interface PruneBenchResult {
  days: number;
  policy: typeof POLICY;
  forgetPrune: ForgetPruneFigures[];
  /** Meridian: the next day's backup alone and during forget + prune on an identical repository. */
  meridianDuringPrune: { backupAloneMs: number; backupDuringMs: number; pruneWithBackupMs: number; overlapped: boolean; backupAttempts: number };
  /** restic: what `restic backup` did when started while `restic prune` ran. */
  resticDuringPrune?: { status: number; message: string; pruneMs: number; overlapped: boolean };
}

interface Repositories {
  meridian: string;
  restic?: string;
}

export async function runPruneBench(data: string, work: string, options: { days: number; withRestic: boolean; log: (m: string) => void }): Promise<PruneBenchResult> {
  const source = path.join(work, 'prune-src');
  fs.cpSync(data, source, { recursive: true });
  const repos: Repositories = { meridian: path.join(work, 'prune-meridian'), ...(options.withRestic && { restic: path.join(work, 'prune-restic') }) };
  options.log(`forget + prune: a history of ${options.days} daily snapshots`);
  buildHistory(source, repos, options.days);
  const copy = (repo: string, name: string) => {
    const to = path.join(work, name);
    fs.cpSync(repo, to, { recursive: true });
    return to;
  };
  const meridianAlone = copy(repos.meridian, 'prune-meridian-alone');
  const meridianConcurrent = copy(repos.meridian, 'prune-meridian-concurrent');
  const resticConcurrent = repos.restic && copy(repos.restic, 'prune-restic-concurrent');

  const forgetPrune: ForgetPruneFigures[] = [];
  if (repos.restic) forgetPrune.push(figures('restic', repos.restic, () => measure(resticCommand(['forget', '-q', '--repo', repos.restic!, '--host', 'bench', ...RESTIC_POLICY, '--prune']))));
  forgetPrune.push(figures('meridian-engine', repos.meridian, () => measure(engineCommand(['forget-prune', repos.meridian, JSON.stringify(POLICY)]))));

  options.log('forget + prune: backups during a prune');
  editDataset(source, 5000);
  const nextDay = new Date(Date.UTC(2026, 0, 1 + options.days, 12)).toISOString();
  const alone = measure(engineCommand(['backup', source, meridianAlone, nextDay]));
  const during = await backupDuringPrune(meridianConcurrent, engineCommand(['forget-prune', meridianConcurrent, JSON.stringify(POLICY)]), () =>
    measureConcurrently(engineCommand(['backup', source, meridianConcurrent, nextDay])),
  );
  if (during.backup.status !== 0 || during.prune.status !== 0) throw new Error(`Meridian's backup during its prune failed: ${(during.backup.stderr + during.prune.stderr).trim()}`);

  let resticDuringPrune: PruneBenchResult['resticDuringPrune'];
  if (resticConcurrent) {
    measure(resticCommand(['forget', '-q', '--repo', resticConcurrent, '--host', 'bench', ...RESTIC_POLICY]));
    const attempt = await backupDuringPrune(resticConcurrent, resticCommand(['prune', '-q', '--repo', resticConcurrent]), () =>
      measureConcurrently(resticCommand(['backup', '-q', '--repo', resticConcurrent, '--host', 'bench', '--compression', 'auto', source])),
    );
    resticDuringPrune = { status: attempt.backup.status, message: attempt.backup.stderr.trim().split('\n')[0] ?? '', pruneMs: attempt.prune.wallMs, overlapped: attempt.overlapped };
  }
  for (const dir of [source, meridianAlone, meridianConcurrent, resticConcurrent, repos.meridian, repos.restic]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  return {
    days: options.days,
    policy: POLICY,
    forgetPrune,
    meridianDuringPrune: {
      backupAloneMs: alone.wallMs,
      backupDuringMs: during.backup.wallMs,
      pruneWithBackupMs: during.prune.wallMs,
      overlapped: during.overlapped,
      backupAttempts: (JSON.parse(during.backup.stdout) as { result: { attempts: number } }).result.attempts,
    },
    resticDuringPrune,
  };
}

/** Day d: the dataset edited with seed d (day 0 as generated), backed up by each tool at noon UTC. */
function buildHistory(source: string, repos: Repositories, days: number): void {
  measure(meridianEngine().init(repos.meridian));
  if (repos.restic) measure(resticCommand(['init', '-q', '--repo', repos.restic, '--repository-version', '2']));
  for (let day = 0; day < days; day++) {
    if (day > 0) editDataset(source, 1000 + day);
    const time = new Date(Date.UTC(2026, 0, 1 + day, 12));
    measure(engineCommand(['backup', source, repos.meridian, time.toISOString()]));
    if (repos.restic) measure(resticCommand(['backup', '-q', '--repo', repos.restic, '--host', 'bench', '--compression', 'auto', '--time', time.toISOString().slice(0, 19).replace('T', ' '), source]));
  }
}

function figures(tool: ForgetPruneFigures['tool'], repo: string, run: () => Measurement): ForgetPruneFigures {
  const historyBytes = directoryUsage(repo).bytes;
  const m = run();
  const bytesAfter = directoryUsage(repo).bytes;
  return { tool, wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, historyBytes, bytesAfter, bytesFreed: historyBytes - bytesAfter };
}

/**
 * Starts `prune`, waits until it holds its lock (a file appears under locks/), then runs
 * `backup` beside it; both measured. `overlapped`: the prune was still running when the backup ended.
 */
async function backupDuringPrune(repo: string, prune: { argv: string[]; env?: NodeJS.ProcessEnv }, backup: () => ReturnType<typeof measureConcurrently>) {
  const locks = path.join(repo, 'locks');
  const lockCount = () => (fs.existsSync(locks) ? fs.readdirSync(locks).length : 0);
  const before = lockCount();
  let pruneDone = false;
  const pruning = measureConcurrently(prune).finally(() => (pruneDone = true));
  while (!pruneDone && lockCount() === before) await sleep(10);
  const backupResult = await backup();
  const overlapped = !pruneDone;
  return { backup: backupResult, prune: await pruning, overlapped };
}

/** The Markdown table and lines of this scenario. */
export function pruneMarkdown(result: PruneBenchResult): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const restic = result.forgetPrune.find((f) => f.tool === 'restic');
  const meridian = result.forgetPrune.find((f) => f.tool === 'meridian-engine')!;
  const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '');
  const lines = [
    `Forget + prune: ${result.days} daily snapshots of the dataset edited ~5% a day, policy keep-daily ${result.policy.keepDaily}, prune with 5% unused allowed.`,
    '',
    '| forget + prune | restic `forget --prune` | Meridian (engine) | ÷ restic |',
    '|---|---|---|---|',
    `| wall time | ${restic ? s(restic.wallMs) : ''} | **${s(meridian.wallMs)}** | **${ratio(meridian.wallMs, restic?.wallMs)}** |`,
    `| CPU time | ${restic ? s(restic.cpuMs) : ''} | ${s(meridian.cpuMs)} | ${ratio(meridian.cpuMs, restic?.cpuMs)} |`,
    `| repository before | ${restic ? mb(restic.historyBytes) : ''} | ${mb(meridian.historyBytes)} | ${ratio(meridian.historyBytes, restic?.historyBytes)} |`,
    `| bytes freed | ${restic ? mb(restic.bytesFreed) : ''} | ${mb(meridian.bytesFreed)} | ${ratio(meridian.bytesFreed, restic?.bytesFreed)} |`,
    `| repository after | ${restic ? mb(restic.bytesAfter) : ''} | ${mb(meridian.bytesAfter)} | ${ratio(meridian.bytesAfter, restic?.bytesAfter)} |`,
    '',
    `Backup of the next day: ${s(result.meridianDuringPrune.backupAloneMs)} alone, ${s(result.meridianDuringPrune.backupDuringMs)} during Meridian's forget + prune ` +
      `(${((result.meridianDuringPrune.backupDuringMs / result.meridianDuringPrune.backupAloneMs - 1) * 100).toFixed(0)}% slower; that prune took ${s(result.meridianDuringPrune.pruneWithBackupMs)}` +
      `${result.meridianDuringPrune.overlapped ? '' : ', and ended before the backup did'}` +
      `${result.meridianDuringPrune.backupAttempts > 1 ? `; the backup ran ${result.meridianDuringPrune.backupAttempts} times: the prune's sweep made it undo its snapshot and it started again after 1 s, as its activity's retry policy does` : ''}).`,
  ];
  if (result.resticDuringPrune) {
    const r = result.resticDuringPrune;
    if (!r.overlapped) lines.push(`restic's backup, started when its prune took its lock: the prune (${s(r.pruneMs)}) ended before the backup did, no overlap measured (exit ${r.status}).`);
    else lines.push(r.status === 0 ? `restic's backup during its prune (${s(r.pruneMs)}): succeeded.` : `restic's backup during its prune (${s(r.pruneMs)}): refused, exit ${r.status}: "${r.message}".`);
  }
  return `${lines.join('\n')}\n`;
}
