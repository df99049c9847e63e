// A restic repository with thousands of snapshots, built in seconds: one real `restic backup` of a
// small folder, then its snapshot file written again N-1 times with other times and paths
// (sealed with the repository's master key, named by their SHA-256 as restic names files), so
// `restic snapshots` reads N real snapshot files. Uncompressed JSON, which repository version 2
// reads as it reads files written by a version 1 restic.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resticMasterKey, sealResticFile } from '../test/helpers/resticCheapKey.js';
import { resticCommand, BENCH_PASSWORD } from './tools.js';

interface ResticSnapshot {
  time: string;
  tree: string;
  paths: string[];
  hostname: string;
  username?: string;
  uid?: number;
  gid?: number;
}

/** Runs restic with the bench's password; answers its stdout. */
export function runRestic(args: string[]): string {
  const spec = resticCommand(args);
  return execFileSync(spec.argv[0]!, spec.argv.slice(1), { env: spec.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** `times` (ISO) as snapshots of the host `bench`, the i-th of `paths[i % paths.length]`. */
export function buildResticHistory(repo: string, work: string, times: readonly string[], paths: readonly string[]): void {
  runRestic(['init', '-q', '--repo', repo, '--repository-version', '2']);
  const source = path.join(work, 'restic-history-source');
  fs.mkdirSync(source, { recursive: true });
  fs.writeFileSync(path.join(source, 'tile.bin'), 'one small tile\n');
  runRestic(['backup', '-q', '--repo', repo, '--host', 'bench', source]);
  const [seed] = JSON.parse(runRestic(['snapshots', '--json', '--no-lock', '--repo', repo])) as ResticSnapshot[];
  const key = resticMasterKey(repo, BENCH_PASSWORD);
  for (const [i, time] of times.slice(1).entries()) {
    const snapshot: ResticSnapshot = { time, tree: seed!.tree, paths: [paths[(i + 1) % paths.length]!], hostname: 'bench', username: seed!.username, uid: seed!.uid, gid: seed!.gid };
    const sealed = sealResticFile(Buffer.from(JSON.stringify(snapshot)), key);
    fs.writeFileSync(path.join(repo, 'snapshots', createHash('sha256').update(sealed).digest('hex')), sealed);
  }
  fs.rmSync(source, { recursive: true, force: true });
}
