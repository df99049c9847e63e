// What append-only access costs a backup: the engine's first and second backups of a dataset into
// a local repository and into one on a SeaweedFS server, each with full access and append-only
// (the cloud decorator asks for each file's absence before writing it; the local backend links
// instead of renaming), with restic's backups of the same data to the same places beside them for
// scale. Rounds alternate the variants so drift hits all alike; fresh repositories every round.
//   node dist/bench/appendOnly.js [DATASET_MIB=256] [ROUNDS=3]

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startS3Server } from '../test/setup/servers/s3.js';
import { editDataset, generateDataset } from './dataset.js';
import { measure, Measurement } from './measure.js';
import { BENCH_PASSWORD, engineCommand, resticCommand } from './tools.js';

interface Row {
  variant: string;
  round: number;
  first: Measurement & { requests?: number };
  second: Measurement & { requests?: number };
}

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? 256);
  const rounds = Number(process.argv[3] ?? 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-bench-append-'));
  const server = await startS3Server({ secret: randomBytes(16).toString('hex') });
  try {
    const { MERIDIAN_TEST_S3_ENDPOINT: endpoint, ...credentials } = server.env;
    Object.assign(process.env, credentials);
    const data = path.join(work, 'data');
    generateDataset(data, mib * 2 ** 20);
    const edited = path.join(work, 'edited');
    fs.cpSync(data, edited, { recursive: true });
    editDataset(edited);
    const rows: Row[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const variant of ['local', 'local append-only', 's3', 's3 append-only', 'restic local', 'restic s3']) {
        const place = `${variant.replace(/ /g, '-')}-${round}`;
        const s3 = variant.includes('s3');
        const source = path.join(work, 'source');
        fs.rmSync(source, { recursive: true, force: true });
        fs.cpSync(data, source, { recursive: true });
        const backupTwice = (init: () => void, backup: () => Measurement & { requests?: number }) => {
          init();
          const first = backup();
          fs.rmSync(source, { recursive: true, force: true });
          fs.cpSync(edited, source, { recursive: true });
          return { first, second: backup() };
        };
        if (variant.startsWith('restic')) {
          const repo = s3 ? `s3:${endpoint}/${place}` : path.join(work, place);
          const run = (args: string[]) => measure(resticCommand(args));
          rows.push({ variant, round, ...backupTwice(() => run(['init', '-q', '--repo', repo, '--repository-version', '2']), () => run(['backup', '-q', '--repo', repo, '--compression', 'auto', '--host', 'bench', source])) });
          continue;
        }
        const url = s3 ? `s3://${place}/repo?endpoint=${encodeURIComponent(endpoint!)}&pathStyle=true&region=us-east-1` : path.join(work, place);
        const appendOnly = variant.endsWith('append-only') ? '1' : '0';
        const init = () => measure({ argv: [process.execPath, path.join(__dirname, '..', '..', 'bin', 'meridian.js'), 'init', '--repo', url], env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD } });
        const backup = () => {
          const spec = engineCommand(['backup', source, url]);
          const m = measure({ ...spec, env: { ...spec.env, MERIDIAN_BENCH_APPEND_ONLY: appendOnly } });
          return { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, requests: (JSON.parse(m.stdout) as { requestsTotal: number }).requestsTotal };
        };
        rows.push({ variant, round, ...backupTwice(init, backup) });
      }
    }
    const cell = (m: Measurement & { requests?: number }) => `${(m.wallMs / 1000).toFixed(2)} s, ${(m.cpuMs / 1000).toFixed(2)} s CPU${m.requests !== undefined ? `, ${m.requests} requests` : ''}`;
    console.log(`dataset ${mib} MiB, ${rounds} rounds`);
    for (const r of rows) console.log(`round ${r.round} | ${r.variant.padEnd(18)} | first: ${cell(r.first)} | second: ${cell(r.second)}`);
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
