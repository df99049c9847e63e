// A set of blob ids in flat shared memory, about 40 bytes per id instead of the ~180 a Map of
// hex strings takes: the 32-byte ids stored one after another by ordinal, and an open-addressing
// table (linear probing, at most half full) of ordinal + 1 to find them. One thread owns a table
// and inserts; encoder threads look up in the same memory at the same time through a view of the
// buffers they were handed (the owner writes an id's bytes before publishing its slot with
// Atomics, so a view never sees half an id). When the owner grows the table it moves to new
// buffers; views of the old ones keep answering for what they held.

/** The buffers of a table, as handed to another thread. */
export interface SharedBlobIds {
  ids: SharedArrayBuffer;
  slots: SharedArrayBuffer;
}

const ID_BYTES = 32;
const ID_WORDS = ID_BYTES / 4;
const ID_HEX_DIGITS = 2 * ID_BYTES;
/** Buffer's hex decoding takes upper case too; a blob id is lower case. */
const UPPER_CASE_HEX = /[A-F]/;
const FIRST_CAPACITY = 1024;

export class BlobIdTable {
  private words: Int32Array;
  private slots: Int32Array;
  private used = 0;
  private readonly view: boolean;
  /** The id being looked up, as words; one per table, so lookups allocate nothing. */
  private readonly scratch = new Int32Array(ID_WORDS);
  private readonly scratchBytes = Buffer.from(this.scratch.buffer);

  /** An empty table, or (with `shared`) a read-only view of another thread's table. */
  constructor(shared?: SharedBlobIds) {
    this.words = new Int32Array(shared?.ids ?? new SharedArrayBuffer(FIRST_CAPACITY * ID_BYTES));
    this.slots = new Int32Array(shared?.slots ?? new SharedArrayBuffer(FIRST_CAPACITY * 2 * 4));
    this.view = shared !== undefined;
  }

  get size(): number {
    return this.used;
  }

  get shared(): SharedBlobIds {
    return { ids: this.words.buffer as SharedArrayBuffer, slots: this.slots.buffer as SharedArrayBuffer };
  }

  /** The ordinal of `id` (0, 1, 2… in order of insertion), or -1 when absent or not a blob id. */
  find(id: string): number {
    return this.toScratch(id) ? this.probe() : -1;
  }

  /** Adds `id` if absent; returns its ordinal either way. Only the owner of the table inserts. */
  insert(id: string): number {
    if (!this.toScratch(id)) throw new Error(`not a blob id: ${id.slice(0, 80)}`);
    const found = this.probe();
    if (found >= 0) return found;
    if (this.view) throw new Error('a view of another thread\'s blob ids is read-only');
    if ((this.used + 1) * ID_WORDS > this.words.length) this.grow();
    const ordinal = this.used++;
    this.words.set(this.scratch, ordinal * ID_WORDS);
    this.place(ordinal);
    return ordinal;
  }

  /** The hex id of an ordinal. */
  idAt(ordinal: number): string {
    const start = ordinal * ID_BYTES;
    return Buffer.from(this.words.buffer, this.words.byteOffset + start, ID_BYTES).toString('hex');
  }

  /**
   * Writes `id` into the scratch words when it is a blob id (64 lower-case hex digits). Decoding
   * it is the check too (it stops at the first other character): a pattern's pass over the
   * string as well cost a backup with nothing changed about 0.5 µs per id, with ids read three
   * times per file (index load, insert, lookup).
   */
  private toScratch(id: string): boolean {
    return id.length === ID_HEX_DIGITS && this.scratchBytes.write(id, 'hex') === ID_BYTES && !UPPER_CASE_HEX.test(id);
  }

  /** The ordinal of the id in the scratch words, or -1. */
  private probe(): number {
    const mask = this.slots.length - 1;
    for (let slot = this.scratch[0]! & mask; ; slot = (slot + 1) & mask) {
      const entry = Atomics.load(this.slots, slot);
      if (entry === 0) return -1;
      if (this.matches(entry - 1)) return entry - 1;
    }
  }


  private matches(ordinal: number): boolean {
    const base = ordinal * ID_WORDS;
    for (let i = 0; i < ID_WORDS; i++) if (this.words[base + i] !== this.scratch[i]) return false;
    return true;
  }

  /** Publishes an ordinal (its id already written) in its slot. */
  private place(ordinal: number): void {
    Atomics.store(this.slots, freeSlot(this.slots, this.words[ordinal * ID_WORDS]!), ordinal + 1);
  }

  /** Doubles both buffers, moving to new ones (views of the old ones stay valid). */
  private grow(): void {
    const words = new Int32Array(new SharedArrayBuffer(this.words.byteLength * 2));
    words.set(this.words);
    this.words = words;
    this.slots = new Int32Array(new SharedArrayBuffer(this.slots.byteLength * 2));
    for (let ordinal = 0; ordinal < this.used; ordinal++) this.slots[freeSlot(this.slots, this.words[ordinal * ID_WORDS]!)] = ordinal + 1;
  }
}

/** The first empty slot from an id's home slot (its first word; SHA-256 bits are uniform). */
function freeSlot(slots: Int32Array, firstWord: number): number {
  const mask = slots.length - 1;
  let slot = firstWord & mask;
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  return slot;
}
