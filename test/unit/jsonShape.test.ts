// The hand-written JSON checks (core/jsonShape.ts) and the files they guard: each check names the
// first problem it finds, and a malformed snapshot file or repository config is refused with it.

import fs from 'node:fs';
import path from 'node:path';
import { base64, boolean, integer, jsonShape, listOf, nullable, object, oneOf, string } from '../../core/jsonShape';
import { Repository } from '../../core/repository';
import { findSnapshot, saveSnapshot, SnapshotManifest } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { tempDir } from '../helpers/trees';

describe('checks', () => {
  it.each<[string, (v: unknown) => string | undefined, unknown[], [unknown, string][]]>([
    ['string', string, ['', 'a'], [[1, 'must be a string'], [null, 'must be a string']]],
    ['boolean', boolean, [true, false], [['true', 'must be true or false']]],
    ['integer(1, 3)', integer(1, 3), [1, 3], [[0, 'must be a whole number from 1 to 3'], [1.5, 'must be a whole number from 1 to 3'], ['2', 'must be a whole number from 1 to 3']]],
    ['integer()', integer(), [-(2 ** 53 - 1), 0, 2 ** 53 - 1], [[2 ** 53, `must be a whole number from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`]]],
    ['oneOf', oneOf('full', 1), ['full', 1], [['1', 'must be "full" or 1'], [true, 'must be "full" or 1']]],
    ['base64', base64, ['', 'YQ==', 'YWI=', 'YWJj'], [['YQ', 'must be base64'], ['%%%', 'must be base64'], [3, 'must be base64']]],
    ['nullable(string)', nullable(string), [null, 'x'], [[undefined, 'must be a string']]],
    ['listOf(string, 1, 2)', listOf(string, 1, 2), [['a'], ['a', 'b']], [[[], 'must hold 1 to 2 items'], [['a', 2], '[1] must be a string'], ['a', 'must be a list']]],
    [
      'object',
      object({ a: string }, { b: integer(0) }),
      [{ a: 'x' }, { a: 'x', b: 0 }, { a: 'x', unknown: 1 }],
      [[{ b: 1 }, 'a must be a string'], [{ a: 'x', b: -1 }, 'b must be a whole number from 0 to 9007199254740991'], [[], 'must be an object'], [null, 'must be an object']],
    ],
  ])('%s', (_, check, good, bad) => {
    for (const value of good) expect(check(value)).toBeUndefined();
    for (const [value, problem] of bad) expect(check(value)).toBe(problem);
  });

  it('answers as a zod schema does for Repository.loadJsonFile, keeping the value itself', () => {
    const shape = jsonShape<{ a: string }>(object({ a: string }));
    const value = { a: 'x', extra: true };
    expect(shape.safeParse(value)).toEqual({ success: true, data: value });
    expect(shape.safeParse({ a: 1 })).toEqual({ success: false, error: { issues: [{ message: 'a must be a string' }] } });
  });
});

describe('the files they guard', () => {
  const manifest: SnapshotManifest = {
    version: 1,
    time: '2026-12-02T07:00:00.000Z',
    host: 'h',
    source: '/data',
    type: 'full',
    parent: null,
    tags: [],
    excludes: [],
    tree: 'a'.repeat(64),
    stats: { files: 1, dirs: 1, bytes: 1, filesNew: 1, filesChanged: 0, filesUnmodified: 0, bytesRead: 1, bytesAdded: 1, bytesStored: 1 },
  };

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a tree that is no string', { tree: 7 }, /is malformed: tree must be a string$/],
    ['an unknown backup type', { type: 'weekly' }, /is malformed: type must be "full" or "incremental" or "differential"$/],
    ['a counter that is not whole', { stats: { ...manifest.stats, bytes: 1.5 } }, /is malformed: stats bytes must be a whole number/],
    ['a tag that is no string', { tags: ['a', 3] }, /is malformed: tags \[1\] must be a string$/],
    ['no skipped files on an incomplete one', { incomplete: true, filesSkipped: 0 }, /is malformed: filesSkipped must be a whole number from 1/],
    ['a ransomware flag without reasons', { suspectedRansomware: { reasons: [] } }, /is malformed: suspectedRansomware reasons must hold 1 to/],
  ])('a snapshot file with %s is refused, naming the field', async (_, change, message) => {
    const repo = await Repository.init(new LocalStorage(tempDir('shape-repo')), 'shapes');
    const good = await saveSnapshot(repo, manifest);
    await expect(findSnapshot(repo, good)).resolves.toMatchObject({ id: good, tree: manifest.tree });
    const bad = await saveSnapshot(repo, { ...manifest, ...change } as SnapshotManifest);
    await expect(findSnapshot(repo, bad)).rejects.toThrow(message);
  });

  it('a repository config that breaks its shape is no repository, and the cause names the field', async () => {
    const dir = tempDir('shape-plain');
    await Repository.init(new LocalStorage(dir), undefined, { encryption: false });
    const file = path.join(dir, 'config');
    const envelope = JSON.parse(fs.readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
    fs.writeFileSync(file, JSON.stringify({ ...envelope, config: { ...envelope.config, packSize: 0 } }));
    const refused = await Repository.open(new LocalStorage(dir), undefined).catch((err: Error) => err);
    expect(refused).toMatchObject({ code: 'not-a-repository', message: expect.stringMatching(/is not a Meridian repository$/) });
    expect(String((refused as Error).cause)).toMatch(/packSize must be a whole number from 1 to/);
    fs.writeFileSync(file, JSON.stringify({ ...envelope, encrypted: 'no' }));
    const envelopeRefused = await Repository.open(new LocalStorage(dir), undefined).catch((err: Error) => err);
    expect(String((envelopeRefused as Error).cause)).toMatch(/the config file's envelope: encrypted must be false/);
  });
});
