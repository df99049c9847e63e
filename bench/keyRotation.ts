// What a master-key rotation costs, against restic's only way to the same end: restic cannot
// change a repository's master key, so its users make a new repository (`init --from-repo
// --copy-chunker-params`, a new master key) and `copy` every snapshot into it. Both on local
// disk, from a repository holding two backups of a generated dataset (the second after an edit);
// rounds alternate the tools. Meridian's figure is the whole rotation as `meridian key rotate`
// does it (bench/engineCommand.js rotate: the start, every file sealed again under an exclusive
// lock, the old key destroyed), without Temporal.
//   node dist/bench/keyRotation.js [DATASET_MIB=256] [ROUNDS=3]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { directoryUsage, measure, Measurement } from './measure.js';
import { editDataset, generateDataset } from './dataset.js';
import { BENCH_PASSWORD, engineCommand, resticCommand } from './tools.js';

function main(): void {
  const mib = Number(process.argv[2] ?? 256);
  const rounds = Number(process.argv[3] ?? 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-bench-rotation-'));
  try {
    const source = path.join(work, 'source');
    generateDataset(source, mib * 2 ** 20);
    const edited = path.join(work, 'edited');
    fs.cpSync(source, edited, { recursive: true });
    editDataset(edited);
    console.log(`dataset ${mib} MiB, two backups, ${rounds} rounds, local disk`);
    const line = (tool: string, round: number, m: Measurement, stored: number) =>
      console.log(`round ${round} | ${tool.padEnd(26)} | wall ${(m.wallMs / 1000).toFixed(2)} s | cpu ${(m.cpuMs / 1000).toFixed(2)} s | peak ${m.peakRssMiB.toFixed(0)} MiB | stored after ${(stored / 2 ** 20).toFixed(1)} MiB`);
    for (let round = 1; round <= rounds; round++) {
      const meridianRepo = path.join(work, `meridian-${round}`);
      measure({ argv: [process.execPath, path.join(__dirname, '..', '..', 'bin', 'meridian.js'), 'init', '--repo', meridianRepo], env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD } });
      measure(engineCommand(['backup', source, meridianRepo]));
      measure(engineCommand(['backup', edited, meridianRepo]));
      line('meridian key rotate', round, measure(engineCommand(['rotate', meridianRepo])), directoryUsage(meridianRepo).bytes);

      const resticRepo = path.join(work, `restic-${round}`);
      const rotated = `${resticRepo}-new`;
      measure(resticCommand(['init', '-q', '--repo', resticRepo, '--repository-version', '2']));
      measure(resticCommand(['backup', '-q', '--repo', resticRepo, '--host', 'bench', source]));
      measure(resticCommand(['backup', '-q', '--repo', resticRepo, '--host', 'bench', edited]));
      const fromRepo = { ...resticCommand([]).env, RESTIC_FROM_PASSWORD: BENCH_PASSWORD };
      const init = measure({ argv: ['restic', 'init', '-q', '--repo', rotated, '--from-repo', resticRepo, '--copy-chunker-params', '--repository-version', '2'], env: fromRepo });
      const copy = measure({ argv: ['restic', 'copy', '-q', '--repo', rotated, '--from-repo', resticRepo], env: fromRepo });
      const both: Measurement = { wallMs: init.wallMs + copy.wallMs, cpuMs: init.cpuMs + copy.cpuMs, peakRssMiB: Math.max(init.peakRssMiB, copy.peakRssMiB) };
      line('restic init --from-repo + copy', round, both, directoryUsage(rotated).bytes);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
