// What the journal watcher collects between two segments (activities/journalChanges.ts): events
// coalesced into paths relative to the source, and the full rescan, both without the paths the
// source's excludes leave out (and those outside the source, but not names starting with '..');
// files a segment could not read, read again by the next one; batches of events added in order and drained before a cut.

import fs from 'node:fs';
import path from 'node:path';
import { PendingChanges, rescanChanges } from '../../activities/journalChanges';
import { createPathFilter } from '../../core/pathFilter';
import { EXCLUDES, writeExcludedPaths } from '../helpers/excludedPaths';
import { tempDir } from '../helpers/trees';

const excludes = createPathFilter([], EXCLUDES);

function sourceWithExcludedPaths(): string {
  const source = tempDir('journal-changes');
  writeExcludedPaths(source);
  return source;
}

test("events on excluded paths, or below an excluded directory, are not collected, nor walked", async () => {
  const source = sourceWithExcludedPaths();
  const pending = new PendingChanges(source, excludes);
  await pending.add(['b.tmp', 'cache', 'cache/x', 'sub', 'sub/cache/y'].map((p) => ({ path: path.join(source, p), type: 'create' as const })));
  expect(pending.size).toBe(2);
  expect(pending.cut()).toEqual({ changed: ['sub', 'sub/keep'], deleted: [] });
});

test('a full rescan leaves excluded paths out', async () => {
  const source = sourceWithExcludedPaths();
  expect(await rescanChanges(source, new Map(), excludes)).toEqual({ changed: ['sub', 'sub/keep'], deleted: [] });
});

test('files a segment could not read go into the next cut without making one due, unless deleted meanwhile', async () => {
  const source = tempDir('journal-changes');
  const pending = new PendingChanges(source, createPathFilter());
  pending.retry(['a', 'b']);
  expect(pending.size).toBe(0);
  await pending.add([{ path: path.join(source, 'b'), type: 'delete' }]);
  expect(pending.cut()).toEqual({ changed: ['a'], deleted: ['b'] });
  expect(pending.cut()).toEqual({ changed: [], deleted: [] });
});

test("a name starting with '..' (a ConfigMap volume's ..data) is inside the source; a path outside it is not collected", async () => {
  const source = tempDir('journal-changes');
  const pending = new PendingChanges(source, createPathFilter());
  await pending.add([
    { path: path.join(source, '..data'), type: 'update' },
    { path: path.join(source, '..2026_11_30'), type: 'delete' },
    { path: path.join(path.dirname(source), 'elsewhere'), type: 'update' },
    { path: path.dirname(source), type: 'update' },
  ]);
  expect(pending.cut()).toEqual({ changed: ['..data'], deleted: ['..2026_11_30'] });
});

test('drained() resolves once every batch enqueued before is added, walks of created directories included', async () => {
  const source = tempDir('journal-changes');
  fs.mkdirSync(path.join(source, 'new'));
  fs.writeFileSync(path.join(source, 'new', 'a'), 'a');
  fs.writeFileSync(path.join(source, 'new', 'b'), 'b');
  const pending = new PendingChanges(source, createPathFilter());
  const failures: Error[] = [];
  pending.enqueue([{ path: path.join(source, 'x'), type: 'update' }], (err) => failures.push(err));
  pending.enqueue([{ path: path.join(source, 'new'), type: 'create' }], (err) => failures.push(err));
  expect(pending.size).toBe(0); // added asynchronously: a cut now would leave them to the next segment
  await pending.drained();
  expect(pending.cut()).toEqual({ changed: ['new', 'new/a', 'new/b', 'x'], deleted: [] });
  expect(failures).toEqual([]);
});
