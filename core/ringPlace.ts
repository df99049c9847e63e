// Where an encoder thread puts its next blob in its ring of shared memory: right after the last
// one, or at the start when it does not fit before the end. The tail skipped is charged with the
// blob and given back with it, so the ring's use counts every byte the main thread has yet to pack.

export interface RingPlace {
  offset: number;
  /** The blob's length, plus the ring tail skipped to place it. */
  charge: number;
}

/** The place of a blob of `length` bytes, the previous blob having ended at `writeAt`. */
export function placeInRing(ringLength: number, writeAt: number, length: number): RingPlace {
  if (length > ringLength) throw new RangeError(`a blob of ${length} bytes does not fit a ring of ${ringLength}`);
  if (writeAt + length <= ringLength) return { offset: writeAt, charge: length };
  return { offset: 0, charge: ringLength - writeAt + length };
}
