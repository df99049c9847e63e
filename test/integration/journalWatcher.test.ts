// The file-set journal end to end: a snapshot of a small tree, then the journal workflow (2 s
// intervals) on a real worker while a seeded script edits the tree (create, modify, delete,
// rename files and directories), with the tree's facts taken after each step; the worker is
// stopped in the middle, the tree edited while it is down, and a new worker's first segment says
// rescan. Then restores at 20 random times each equal the tree as it was then, to the interval's
// granularity: a time is drawn between the segment that saw a step's edits and the next step.

import fs from 'node:fs';
import path from 'node:path';
import { listJournalSegments, type JournalSegment } from '../../core/journal';
import { restoreAt } from '../../core/journalRestore';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { journalWorkflowId, type JournalInput } from '../../workflows/journalDefs';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { eventually } from '../helpers/polling';
import { SeededRandom } from '../helpers/seededRandom';
import { testConnection, TestConnection } from '../helpers/temporal';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'journal watcher test';
const STEPS = 14;
const RESTART_AT = 7;
const RESTORES = 20;

let t: TestConnection;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  t = await testConnection();
  process.env.MERIDIAN_HOME = tempDir('journal-home');
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

/** One step of seeded edits: a few files created, rewritten, deleted or renamed, a directory made, moved or removed. */
function edit(root: string, random: SeededRandom, step: number): void {
  const all = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...all(path.join(dir, e.name))] : [path.join(dir, e.name)]));
  const files = () => all(root).filter((p) => fs.lstatSync(p).isFile());
  const dirs = () => all(root).filter((p) => fs.lstatSync(p).isDirectory());
  for (let i = 0; i < 4; i += 1) {
    const kind = random.pick(['create', 'create', 'modify', 'modify', 'delete', 'rename', 'mkdir', 'movedir', 'rmdir'] as const);
    const someDir = random.pick([root, ...dirs()]);
    const someFile = files().length > 0 ? random.pick(files()) : undefined;
    if (kind === 'create') fs.writeFileSync(path.join(someDir, `f${step}-${i}.bin`), pseudoRandomBytes(random.int(0, 40_000), step * 10 + i));
    else if (kind === 'modify' && someFile) fs.writeFileSync(someFile, pseudoRandomBytes(random.int(1, 30_000), step * 100 + i));
    else if (kind === 'delete' && someFile) fs.rmSync(someFile);
    else if (kind === 'rename' && someFile) fs.renameSync(someFile, path.join(someDir, `r${step}-${i}.bin`));
    else if (kind === 'mkdir') {
      const made = path.join(someDir, `d${step}-${i}`);
      fs.mkdirSync(made);
      fs.writeFileSync(path.join(made, 'inside.bin'), pseudoRandomBytes(5_000, step * 1000 + i));
    } else if (kind === 'movedir' && someDir !== root) fs.renameSync(someDir, path.join(root, `moved${step}-${i}`));
    else if (kind === 'rmdir' && someDir !== root) fs.rmSync(someDir, { recursive: true });
  }
}

test('restores at random times equal the tree then, across a worker restart', async () => {
  const repoDir = tempDir('journal-repo');
  const source = tempDir('journal-src');
  const random = new SeededRandom(15);
  fs.mkdirSync(path.join(source, 'tiles/12'), { recursive: true });
  for (let i = 0; i < 6; i += 1) fs.writeFileSync(path.join(source, i % 2 ? 'tiles/12' : '', `tile-${i}.png`), pseudoRandomBytes(20_000, i));
  const repo = await Repository.init(new LocalStorage(repoDir), PASS);
  await backup(repo, { source, type: 'full' });

  worker = await startWorker(t, PASS);
  const input: JournalInput = { repo: repoDir, source, intervalSeconds: 2 };
  const handle = await t.client.workflow.start('journalWorkflow', { taskQueue: worker.taskQueue, workflowId: journalWorkflowId(repoDir, source), args: [input] });
  const segments = () => listJournalSegments(repo, { source });
  /** The first segment that ends at or after `after` (and passes `also`). */
  const segmentAfter = (after: number, also: (s: JournalSegment) => boolean = () => true) =>
    eventually(`a segment after ${new Date(after).toISOString()}`, async () => (await segments()).find((s) => Date.parse(s.until) >= after && also(s)), 60_000);

  // Windows [from, until) in which the tree was as `facts` says, from the segment that saw its last edit on.
  const windows: { from: number; until: number; facts: ReturnType<typeof describeTree> }[] = [];
  let facts = describeTree(source);
  let seen = await segmentAfter(Date.now() + 500);
  expect(seen.rescan).toMatch(/no watcher state/);
  for (let step = 1; step <= STEPS; step += 1) {
    const restart = step === RESTART_AT;
    if (restart) await worker.stop();
    const editsStart = Date.now();
    windows.push({ from: Date.parse(seen.until), until: editsStart, facts });
    edit(source, random, step);
    facts = describeTree(source);
    if (restart) worker = await startWorker(t, PASS, worker.taskQueue);
    seen = await segmentAfter(Date.now() + 500, restart ? (s) => s.rescan !== undefined : undefined);
    if (restart) expect(seen.rescan).toMatch(/restarted/);
  }
  // Stopped: its last segment, written on the way out, ends the covered interval.
  await handle.cancel();
  await handle.result();
  const last = (await segments()).map((s) => Date.parse(s.until)).sort((a, b) => a - b).at(-1)!;
  windows.push({ from: Date.parse(seen.until), until: last, facts });

  for (let i = 0; i < RESTORES; i += 1) {
    const window = random.pick(windows);
    const at = new Date(window.from + random.float() * (window.until - window.from));
    const target = tempDir('journal-restore');
    await restoreAt(repo, { source, at, target });
    expectSameTree(window.facts, target);
  }
}, 300_000);
