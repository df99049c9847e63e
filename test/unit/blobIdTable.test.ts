// The index's compact id set: every id inserted is found at its ordinal through several
// growths, nothing else is found, and a view of the shared buffers (what an encoder thread
// holds) answers for what the table held when the view was made, and never more than it holds.
// KnownBlobs, an encoder's set built on such a view, forgets its own recent ids in generations.

import crypto from 'node:crypto';
import { BlobIdTable } from '../../core/blobIdTable';
import { KnownBlobs } from '../../core/knownBlobs';

const randomIds = (n: number) => Array.from({ length: n }, () => crypto.randomBytes(32).toString('hex'));

test('every inserted id is found at its ordinal after several growths; absent and malformed ids are not', () => {
  const table = new BlobIdTable();
  const ids = randomIds(10_000);
  ids.forEach((id, ordinal) => expect(table.insert(id)).toBe(ordinal));
  expect(table.size).toBe(ids.length);
  expect(table.insert(ids[1234]!)).toBe(1234);
  expect(table.size).toBe(ids.length);
  for (const [ordinal, id] of ids.entries()) {
    expect(table.find(id)).toBe(ordinal);
    expect(table.idAt(ordinal)).toBe(id);
  }
  for (const absent of randomIds(2_000)) expect(table.find(absent)).toBe(-1);
  const upper = ids[0]!.toUpperCase();
  for (const bad of [upper, ids[0]!.slice(0, 62), `${ids[0]!.slice(0, 63)}g`, '', 'zz'.repeat(32)]) {
    expect(table.find(bad)).toBe(-1);
    expect(() => table.insert(bad)).toThrow(/not a blob id/);
  }
});

test('a view answers for the ids of its buffers; one made after a growth sees them all; a view cannot insert', () => {
  const table = new BlobIdTable();
  const before = randomIds(600);
  for (const id of before) table.insert(id);
  const early = new BlobIdTable(table.shared);
  const after = randomIds(3_000); // past the first capacity of 1,024: the table moves to new buffers
  for (const id of after) table.insert(id);
  for (const id of before) expect(early.find(id)).toBeGreaterThanOrEqual(0);
  // The ids inserted after the move went to buffers the early view never saw.
  expect(after.slice(-1000).every((id) => early.find(id) === -1)).toBe(true);
  const late = new BlobIdTable(table.shared);
  for (const id of [...before, ...after]) expect(late.find(id)).toBe(table.find(id));
  expect(() => late.insert(randomIds(1)[0]!)).toThrow(/read-only/);
});

test('an encoder\'s known blobs: the index through the latest buffers, and its own recent ids in two bounded generations', () => {
  const index = new BlobIdTable();
  const indexed = randomIds(10);
  for (const id of indexed) index.insert(id);
  const known = new KnownBlobs();
  expect(indexed.some((id) => known.has(id))).toBe(false); // nothing until a batch brings the index
  known.renew(index.shared);
  expect(indexed.every((id) => known.has(id))).toBe(true);

  const later = randomIds(2_000);
  for (const id of later) index.insert(id);
  known.renew(index.shared);
  expect(later.every((id) => known.has(id))).toBe(true);

  const own = randomIds(32_768 * 2 + 1);
  for (const id of own) known.add(id);
  // The newest two generations are remembered; the first generation is forgotten.
  expect(known.has(own[own.length - 1]!)).toBe(true);
  expect(known.has(own[32_768]!)).toBe(true);
  expect(known.has(own[0]!)).toBe(false);
  expect(indexed.every((id) => known.has(id))).toBe(true);
});
