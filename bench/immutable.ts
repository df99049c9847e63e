// What an immutable repository costs, on moto's S3 server (the one here that enforces Object
// Lock): the engine's first and second backups of a dataset into a plain bucket and into an
// Object Lock bucket (every put then carries a checksum and is locked by the bucket's default
// retention), with restic's backups into a plain bucket of the same server beside them; rounds
// alternate the variants, fresh buckets every round. Then, on the immutable repository, what its
// maintenance costs (one pass: a HEAD per file, a retention PUT per file due) and what recovery
// costs (every file hidden by an "attacker", then a rollback that reads and puts each back).
// Neither restic nor rclone has retention maintenance or a rollback: those rows have no anchor.
//   node dist/bench/immutable.js [DATASET_MIB=128] [ROUNDS=3]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maintainImmutable, rollbackImmutable } from '../core/immutability.js';
import { openS3Versions } from '../storage/s3Versions.js';
import { startObjectLockS3Server } from '../test/setup/servers/objectLockS3.js';
import { editDataset, generateDataset } from './dataset.js';
import { measure, Measurement } from './measure.js';
import { BENCH_PASSWORD, engineCommand, resticCommand } from './tools.js';

const VARIANTS = ['meridian plain bucket', 'meridian immutable', 'restic plain bucket'] as const;

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? 128);
  const rounds = Number(process.argv[3] ?? 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-bench-immutable-'));
  const server = await startObjectLockS3Server();
  // moto takes any credentials; restic and the SDK want some.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' });
  try {
    const data = path.join(work, 'data');
    generateDataset(data, mib * 2 ** 20);
    const edited = path.join(work, 'edited');
    fs.cpSync(data, edited, { recursive: true });
    editDataset(edited);
    const source = path.join(work, 'source');
    const seconds = (m: Measurement) => `${(m.wallMs / 1000).toFixed(2)} s`;
    console.log(`dataset ${mib} MiB, ${rounds} rounds, moto S3`);
    for (let round = 1; round <= rounds; round++) {
      for (const variant of VARIANTS) {
        const bucket = `${variant.replace(/ /g, '-')}-${round}`;
        fs.rmSync(source, { recursive: true, force: true });
        fs.cpSync(data, source, { recursive: true });
        const backups: Measurement[] = [];
        if (variant.startsWith('restic')) {
          const repo = `s3:${server.endpoint}/${bucket}`;
          measure(resticCommand(['init', '-q', '--repo', repo, '--repository-version', '2']));
          const backup = () => measure(resticCommand(['backup', '-q', '--repo', repo, '--compression', 'auto', '--host', 'bench', source]));
          backups.push(backup());
          fs.rmSync(source, { recursive: true, force: true });
          fs.cpSync(edited, source, { recursive: true });
          backups.push(backup());
          console.log(`round ${round} | ${variant.padEnd(22)} | first ${seconds(backups[0]!)} | second ${seconds(backups[1]!)}`);
          continue;
        }
        const url = `s3://${bucket}/repo?endpoint=${encodeURIComponent(server.endpoint)}&pathStyle=true&region=us-east-1`;
        const immutable = variant.endsWith('immutable') ? ['--immutable-days', '1', '--immutable-mode', 'compliance'] : [];
        measure({ argv: [process.execPath, path.join(__dirname, '..', '..', 'bin', 'meridian.js'), 'init', '--repo', url, ...immutable], env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD } });
        const backup = () => measure(engineCommand(['backup', source, url]));
        backups.push(backup());
        fs.rmSync(source, { recursive: true, force: true });
        fs.cpSync(edited, source, { recursive: true });
        backups.push(backup());
        let extra = '';
        if (immutable.length > 0) extra = ` | ${await maintenanceAndRollback(url)}`;
        console.log(`round ${round} | ${variant.padEnd(22)} | first ${seconds(backups[0]!)} | second ${seconds(backups[1]!)}${extra}`);
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One maintenance pass (every file due: the default retention of a day is short of a day + 2 intervals), a second (none due), then an attack that hides every file and the rollback. */
async function maintenanceAndRollback(url: string): Promise<string> {
  const store = openS3Versions(url);
  try {
    const policy = (await store.policy())!;
    const timed = async <T>(run: () => Promise<T>) => {
      const started = Date.now();
      const result = await run();
      return { result, ms: Date.now() - started };
    };
    const listing = await timed(async () => {
      let n = 0;
      for await (const _ of store.versions()) n++;
      return n;
    });
    const first = await timed(() => maintainImmutable(store, policy, { now: new Date() }));
    const second = await timed(() => maintainImmutable(store, policy, { now: new Date() }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const moment = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const current: { type: string; name: string }[] = [];
    for await (const v of store.versions()) if (v.latest && !v.deleteMarker && v.handle.type !== 'locks') current.push(v.handle);
    const attack = await timed(async () => {
      for (const handle of current) await store.hide(handle as never);
    });
    const rollback = await timed(() => rollbackImmutable(store, moment));
    return (
      `listing ${listing.result} versions: ${listing.ms} ms | maintenance: ${first.result.checked} files, ${first.result.extended} extended in ${first.ms} ms; again ${second.result.extended} extended in ${second.ms} ms` +
      ` | attack: ${current.length} files hidden in ${attack.ms} ms; rollback: ${rollback.result.reinstated} reinstated in ${rollback.ms} ms`
    );
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
