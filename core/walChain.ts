// The WAL chain of a cluster: segment name arithmetic for a wal_segment_size, the timelines a
// recovery follows (from .history files), the gaps between a base backup's first segment and the
// newest archived one, and retention (which WAL the kept base backups still need).

import { deleteWal, fetchWal, listWal } from './walArchive.js';
import { integrityError, invalidArgument } from './errors.js';
import { MAX_LISTED_DIFFERENCES } from './replicaCompare.js';
import { Repository } from './repository.js';

export interface WalGapReport {
  cluster: string;
  newest?: string;
  /** Each run of missing segments: the segment before it (or the start), its first and last missing segment. */
  gaps: { after: string; missing: string; through?: string }[];
  checkedFrom: string[];
}

export interface Segment {
  timeline: number;
  segno: bigint;
}

/** A timeline's parent and the LSN where it branched off (a line of `0000000N.history`). */
export interface TimelineSwitch {
  parent: number;
  switchLsn: bigint;
}

const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const LOG_ID_SPAN = 0x1_0000_0000n;

const hex8 = (n: bigint | number) => n.toString(16).toUpperCase().padStart(8, '0');

export function segmentName(segment: Segment, segmentSize: number): string {
  const perLog = LOG_ID_SPAN / BigInt(segmentSize);
  return `${hex8(segment.timeline)}${hex8(segment.segno / perLog)}${hex8(segment.segno % perLog)}`;
}

export function parseSegmentName(name: string, segmentSize: number): Segment | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const perLog = LOG_ID_SPAN / BigInt(segmentSize);
  return { timeline: parseInt(m[1]!, 16), segno: BigInt(`0x${m[2]}`) * perLog + BigInt(`0x${m[3]}`) };
}

/** "16/B374D848" → bigint. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw invalidArgument(`[wal] "${lsn}" is not an LSN`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export function segmentOfLsn(lsn: string | bigint, segmentSize: number): bigint {
  return (typeof lsn === 'bigint' ? lsn : parseLsn(lsn)) / BigInt(segmentSize);
}

/** The switches of a timeline history file, oldest first: which parent each ancestor branched off from, and where. */
export function parseHistory(text: string): TimelineSwitch[] {
  const out: TimelineSwitch[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#') || fields.length < 2) continue;
    out.push({ parent: Number(fields[0]), switchLsn: parseLsn(fields[1]!) });
  }
  return out;
}

/**
 * Which timeline recovery reads each segment from, following `history` (the newest timeline's
 * history file) up to `newest`: a timeline's segments run from the segment its branch point lies
 * in (recovery prefers the newer timeline there) to the one before its successor's branch point.
 */
export function timelineOf(segno: bigint, newestTimeline: number, history: TimelineSwitch[], segmentSize: number): number {
  for (let i = 0; i < history.length; i++) {
    if (segno < segmentOfLsn(history[i]!.switchLsn, segmentSize)) return history[i]!.parent;
  }
  return newestTimeline;
}

/**
 * The missing segments from each of `from` (segment names) up to `newest` along the timelines
 * of `history`, as runs; `present` holds the archived segment names.
 */
export function findGaps(present: ReadonlySet<string>, from: string[], newest: Segment, history: TimelineSwitch[], segmentSize: number): WalGapReport['gaps'] {
  const starts = from.map((name) => parseSegmentName(name, segmentSize)).filter((s): s is Segment => s !== undefined);
  if (starts.length === 0) return [];
  let segno = starts.reduce((min, s) => (s.segno < min ? s.segno : min), starts[0]!.segno);
  const gaps: WalGapReport['gaps'] = [];
  let previous = segmentName(starts.find((s) => s.segno === segno)!, segmentSize);
  let run: WalGapReport['gaps'][number] | undefined;
  for (; segno <= newest.segno; segno++) {
    const name = segmentName({ timeline: timelineOf(segno, newest.timeline, history, segmentSize), segno }, segmentSize);
    if (present.has(name)) {
      run = undefined;
      previous = name;
    } else if (run) {
      run.through = name;
    } else {
      run = { after: previous, missing: name };
      gaps.push(run);
    }
  }
  return gaps;
}

/** The archived WAL of `cluster` checked for gaps from each base backup's first segment to the newest archived segment. */
export async function checkWalChain(repo: Repository, cluster: string, fromSegments: string[], options: { walSegmentSize?: number } = {}): Promise<WalGapReport> {
  const names = (await listWal(repo, cluster)).map((w) => w.walName);
  const segments = names.filter((n) => SEGMENT_NAME.test(n));
  const report: WalGapReport = { cluster, gaps: [], checkedFrom: fromSegments };
  const newestName = newestSegmentName(segments);
  if (newestName === undefined) {
    report.gaps = fromSegments.map((name) => ({ after: name, missing: name }));
    return report;
  }
  report.newest = newestName;
  const segmentSize = options.walSegmentSize ?? (await archivedSegmentSize(repo, cluster, newestName));
  const newest = parseSegmentName(newestName, segmentSize)!;
  const history = newest.timeline > 1 ? await loadHistory(repo, cluster, newest.timeline) : [];
  if (history === undefined) {
    const missing = `${hex8(newest.timeline)}.history`;
    report.gaps = [{ after: newestName, missing }];
    return report;
  }
  report.gaps = findGaps(new Set(segments), fromSegments, newest, history, segmentSize);
  return report;
}

/**
 * Deletes the WAL no kept base backup needs: segments (and backup labels, partial segments)
 * before the earliest of `keepFrom`. History files stay. No kept base backup: nothing is deleted.
 * Names the first MAX_LISTED_DIFFERENCES deleted (the list goes through workflow history) and counts them all.
 */
export async function pruneWal(repo: Repository, cluster: string, keepFrom: string[], options: { dryRun?: boolean }): Promise<{ deleted: string[]; deletedCount: number }> {
  const positions = keepFrom.map(position).filter((p): p is string => p !== undefined);
  if (positions.length === 0) return { deleted: [], deletedCount: 0 };
  const keepPosition = positions.sort()[0]!;
  const unneeded = (await listWal(repo, cluster)).map((w) => w.walName).filter((name) => {
    const p = position(name);
    return p !== undefined && p < keepPosition;
  });
  if (!options.dryRun) for (const walName of unneeded) await deleteWal(repo, { cluster, walName });
  return { deleted: unneeded.slice(0, MAX_LISTED_DIFFERENCES), deletedCount: unneeded.length };
}

/** A segment's place in the WAL whatever its timeline: its log and segment fields (fixed-width hex, so they sort as text). */
function position(walName: string): string | undefined {
  const m = /^[0-9A-F]{8}([0-9A-F]{16})(?:$|\.)/.exec(walName);
  return m?.[1];
}

/** The segment furthest in the WAL (on the newest timeline at that place). */
function newestSegmentName(segments: string[]): string | undefined {
  return [...segments].sort((a, b) => a.slice(8).localeCompare(b.slice(8)) || a.localeCompare(b)).pop();
}

/** wal_segment_size as the cluster wrote it: an archived segment's length. */
async function archivedSegmentSize(repo: Repository, cluster: string, walName: string): Promise<number> {
  const bytes = await fetchWal(repo, { cluster, walName });
  if (!bytes || bytes.length === 0 || (bytes.length & (bytes.length - 1)) !== 0) throw integrityError(`WAL segment ${walName} of cluster ${cluster} (its length is no wal_segment_size)`);
  return bytes.length;
}

async function loadHistory(repo: Repository, cluster: string, timeline: number): Promise<TimelineSwitch[] | undefined> {
  const bytes = await fetchWal(repo, { cluster, walName: `${hex8(timeline)}.history` });
  return bytes && parseHistory(Buffer.from(bytes).toString('utf8'));
}
