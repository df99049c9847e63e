// Placing blobs in an encoder thread's ring: after the previous one while it fits, else at the
// start with the skipped tail charged, and at the start (nothing skipped) after one that ended
// exactly at the end of the ring.

import { placeInRing } from '../../core/ringPlace';

test('a blob goes right after the previous one while it fits before the end', () => {
  expect(placeInRing(100, 0, 40)).toEqual({ offset: 0, charge: 40 });
  expect(placeInRing(100, 40, 60)).toEqual({ offset: 40, charge: 60 });
});

test('a blob that does not fit before the end goes to the start, charged with the tail it skips', () => {
  expect(placeInRing(100, 70, 40)).toEqual({ offset: 0, charge: 70 });
});

test('after a blob that ended exactly at the end, the next starts at the beginning with nothing skipped', () => {
  expect(placeInRing(100, 100, 30)).toEqual({ offset: 0, charge: 30 });
});

test('a blob longer than the ring is refused', () => {
  expect(() => placeInRing(100, 0, 101)).toThrow(RangeError);
});
