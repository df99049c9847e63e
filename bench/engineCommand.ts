// Meridian's engine without Temporal, as a command the benchmark can time like restic:
//   engineCommand backup SOURCE REPO | engineCommand restore REPO TARGET   (MERIDIAN_PASSWORD)

import { backup } from '../core/archiver.js';
import { Repository } from '../core/repository.js';
import { restore } from '../core/restorer.js';
import { openStorage } from '../storage/open.js';

async function main(): Promise<void> {
  const [command, a, b] = process.argv.slice(2);
  if (!a || !b || (command !== 'backup' && command !== 'restore')) throw new Error('usage: engineCommand backup SOURCE REPO | restore REPO TARGET');
  const repoUrl = command === 'backup' ? b : a;
  const repo = await Repository.open(await openStorage(repoUrl), process.env.MERIDIAN_PASSWORD);
  const result = command === 'backup' ? await backup(repo, { source: a, type: 'incremental' }) : await restore(repo, 'latest', { target: b });
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
