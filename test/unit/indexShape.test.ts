// The hand-written index-file check (core/indexShape.ts) accepts exactly what IndexFileSchema,
// the zod schema that defines an index file, accepts, and names where a malformed file goes wrong.

import { IndexFileShape } from '../../core/indexShape';
import { IndexFileSchema } from '../../core/masterIndex';

const ID = 'b'.repeat(64);
const BLOB = { id: 'c'.repeat(64), type: 'data', offset: 0, length: 10, codec: 1, rawLength: 20 };
const FILE = { packs: [{ id: ID, blobs: [BLOB, { ...BLOB, type: 'tree', offset: 10 }] }, { id: 'd'.repeat(64), blobs: [] }] };

const BAD_BLOB_VALUES: Record<string, unknown[]> = {
  id: [undefined, 'C'.repeat(64), 'c'.repeat(63), 5],
  type: [undefined, 'index', 0],
  offset: [undefined, -1, 0.5, '0', Number.MAX_SAFE_INTEGER + 2],
  length: [undefined, 0, 1.5, null],
  codec: [undefined, -1, '1'],
  rawLength: [undefined, -3, 2.5],
};

const zodAccepts = (value: unknown) => IndexFileSchema.safeParse(value).success;
const handAccepts = (value: unknown) => IndexFileShape.safeParse(value).success;

test('well-formed index files are accepted by both, unknown fields too', () => {
  for (const file of [FILE, { packs: [] }, { packs: [{ id: ID, blobs: [{ ...BLOB, extra: 1 }], extra: 2 }], extra: 3 }]) {
    expect(zodAccepts(file)).toBe(true);
    expect(handAccepts(file)).toBe(true);
  }
});

test('every malformation of a blob entry is refused by both', () => {
  let cases = 0;
  for (const [field, values] of Object.entries(BAD_BLOB_VALUES)) {
    for (const value of values) {
      const blob: Record<string, unknown> = { ...BLOB };
      if (value === undefined) delete blob[field];
      else blob[field] = value;
      const file = { packs: [{ id: ID, blobs: [BLOB, blob] }] };
      expect([field, value, zodAccepts(file), handAccepts(file)]).toEqual([field, value, false, false]);
      cases += 1;
    }
  }
  expect(cases).toBe(22);
});

test('malformed packs and files are refused by both, saying where', () => {
  for (const value of [null, [], {}, { packs: {} }, { packs: [null] }, { packs: [{ blobs: [] }] }, { packs: [{ id: 'x', blobs: [] }] }, { packs: [{ id: ID }] }, { packs: [{ id: ID, blobs: [7] }] }]) {
    expect([value, zodAccepts(value), handAccepts(value)]).toEqual([value, false, false]);
  }
  const parsed = IndexFileShape.safeParse({ packs: [FILE.packs[0], { id: ID, blobs: [BLOB, { ...BLOB, length: 0 }] }] });
  expect(parsed).toEqual({ success: false, error: { issues: [{ message: 'pack 1, blob 1: length must be a whole number ≥ 1' }] } });
});
