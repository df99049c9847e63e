// Meridian's engine without Temporal, as a command the benchmark can time like restic:
//   engineCommand backup SOURCE REPO | engineCommand restore REPO TARGET   (MERIDIAN_PASSWORD)
// It prints the engine's result and the storage requests it made as one JSON object.

import { backup } from '../core/archiver.js';
import { Repository } from '../core/repository.js';
import { restore } from '../core/restorer.js';
import { openStorage } from '../storage/open.js';
import { CountingStorage } from './countingStorage.js';

async function main(): Promise<void> {
  const [command, a, b] = process.argv.slice(2);
  if (!a || !b || (command !== 'backup' && command !== 'restore')) throw new Error('usage: engineCommand backup SOURCE REPO | restore REPO TARGET');
  const repoUrl = command === 'backup' ? b : a;
  const storage = new CountingStorage(await openStorage(repoUrl));
  const repo = await Repository.open(storage, process.env.MERIDIAN_PASSWORD);
  const result = command === 'backup' ? await backup(repo, { source: a, type: 'incremental' }) : await restore(repo, 'latest', { target: b });
  console.log(JSON.stringify({ result, requests: storage.counts, requestsTotal: storage.total }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
