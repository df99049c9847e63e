// Content-defined chunking (FastCDC: gear hash, normalized chunking level 2). Splits file bytes
// into variable-sized chunks whose boundaries depend on content, so an insertion only changes the
// chunks around it. Each repository keys its chunker: the gear table is derived from a random
// seed kept in the repository's (sealed) config, so chunk sizes seen from outside reveal nothing
// about content shared with another repository. The table derivation and masks below are part of
// the repository format: changing them moves every chunk boundary and defeats deduplication.

import { createHmac } from 'node:crypto';
import { invalidArgument } from './errors.js';

export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** A repository's chunker: its sizes and the seed (32 bytes, hex) its gear table is derived from. */
export interface ChunkerConfig extends ChunkerParams {
  seed: string;
}

export const DEFAULT_CHUNKER: ChunkerParams = Object.freeze({ min: 512 * KiB, avg: 1 * MiB, max: 8 * MiB });

export const CHUNKER_SEED_PATTERN = /^[0-9a-f]{64}$/;

export function validateChunkerParams(p: ChunkerParams): ChunkerParams {
  const { min, avg, max } = p;
  if (![min, avg, max].every(Number.isSafeInteger)) {
    throw invalidArgument('Chunk sizes must be whole numbers of bytes.');
  }
  if (!(4096 <= min && min < avg && avg < max && max <= 64 * MiB)) {
    throw invalidArgument(
      `Chunk sizes must satisfy 4096 <= min < avg < max <= 64 MiB (got min ${min}, avg ${avg}, max ${max}).`,
    );
  }
  if ((avg & (avg - 1)) !== 0) {
    throw invalidArgument(`The average chunk size must be a power of two (got ${avg}).`);
  }
  return { min, avg, max };
}

/**
 * The gear table of a seed: 256 32-bit values (stored as int32 bit patterns), little-endian from
 * HMAC-SHA-256(seed, "meridian gear table " + block) for blocks 0..31, 8 values per block.
 */
export function gearTable(seed: string): Int32Array {
  if (!CHUNKER_SEED_PATTERN.test(seed)) throw invalidArgument('The chunker seed must be 32 bytes in hex.');
  const key = Buffer.from(seed, 'hex');
  const table = new Int32Array(256);
  for (let block = 0; block < 32; block++) {
    const bytes = createHmac('sha256', key).update(`meridian gear table ${block}`).digest();
    for (let j = 0; j < 8; j++) table[block * 8 + j] = bytes.readInt32LE(4 * j);
  }
  return table;
}

// Normalized chunking: before the average size a cut needs more zero bits (maskS), after it
// fewer (maskL). Masks are runs of bits ending at bit 30, so shifted left by one they still fit
// in 32 bits; that lets cut() hash two bytes per step (FastCDC's "rolling two bytes"): after the
// first byte of a pair it tests the hash shifted left by one against the mask shifted by one.
const mask = (bits: number) => ((2 ** bits - 1) * 2 ** (31 - bits)) | 0;

// The gear tables cut() reads: module constants, so V8 knows their length (256) and drops the
// bounds check of every lookup by a byte (~20% faster than reading tables held by the instance).
// A chunker copies its own tables in when those of another seed are loaded (2 KiB, once per cut at most).
const GEAR = new Int32Array(256);
const GEAR2 = new Int32Array(256);
let loadedSeed = '';

export class Chunker {
  private readonly min: number;
  private readonly avg: number;
  private readonly max: number;
  private readonly maskS: number;
  private readonly maskL: number;
  private readonly seed: string;
  private readonly gear: Int32Array;
  private readonly gear2: Int32Array;

  constructor(config: ChunkerConfig) {
    const { min, avg, max } = validateChunkerParams(config);
    const bits = Math.log2(avg);
    this.min = min;
    this.avg = avg;
    this.max = max;
    this.maskS = mask(bits + 2);
    this.maskL = mask(bits - 2);
    this.seed = config.seed;
    this.gear = gearTable(config.seed);
    this.gear2 = this.gear.map((g) => g << 1);
  }

  /** length of the chunk starting at buf[start], looking at most at buf[start..end); returns -1 when more data is needed and !final */
  cut(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const max = this.max;
    const available = end - start;
    const limit = available < max ? available : max;
    const complete = final || limit === max;
    if (limit <= this.min) return complete ? limit : -1;

    const normal = start + (limit < this.avg ? limit : this.avg);
    const stop = start + limit;
    let i = start + this.min;
    // The gear hash h = (h << 1) + gear[byte] starts at 0 at offset min: it covers the last 31 bytes.
    // (The tables are read through locals: V8 keeps them in registers, ~25% faster.)
    if (loadedSeed !== this.seed) {
      GEAR.set(this.gear);
      GEAR2.set(this.gear2);
      loadedSeed = this.seed;
    }
    const gear = GEAR;
    const gear2 = GEAR2;
    let h = 0;
    for (let phase = 0; phase < 2; phase++) {
      const m = phase === 0 ? this.maskS : this.maskL;
      const m2 = m << 1;
      const to = phase === 0 ? normal : stop;
      if (((to - i) & 1) !== 0) {
        h = ((h << 1) + gear[buf[i++]!]!) | 0;
        if ((h & m) === 0) return i - start;
      }
      for (; i < to; i += 2) {
        h = ((h << 2) + gear2[buf[i]!]!) | 0;
        if ((h & m2) === 0) return i + 1 - start;
        h = (h + gear[buf[i + 1]!]!) | 0;
        if ((h & m) === 0) return i + 2 - start;
      }
    }
    return complete ? limit : -1;
  }
}

/** Splits a byte stream into chunks; yields Uint8Arrays that the caller may keep (not views into a reused buffer). Bounded memory: holds at most ~2*max bytes. */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, config: ChunkerConfig): AsyncGenerator<Uint8Array> {
  const chunker = new Chunker(config);
  const { max } = config;
  let buf = new Uint8Array(0);
  let start = 0; // first byte not yet chunked
  let end = 0; // end of buffered bytes

  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      if (end === buf.length) {
        // Make room: drop chunked bytes, then grow (at most to 2*max, which always leaves room
        // because fewer than max bytes stay buffered between cuts).
        buf.copyWithin(0, start, end);
        end -= start;
        start = 0;
        if (end === buf.length) {
          const wanted = Math.max(64 * KiB, 2 * buf.length, end + piece.length - offset);
          const grown = new Uint8Array(Math.min(wanted, 2 * max));
          grown.set(buf.subarray(0, end));
          buf = grown;
        }
      }
      const n = Math.min(piece.length - offset, buf.length - end);
      buf.set(piece.subarray(offset, offset + n), end);
      end += n;
      offset += n;
      // With at least max bytes buffered, every cut is final regardless of what follows.
      while (end - start >= max) {
        const length = chunker.cut(buf, start, end, false);
        yield buf.slice(start, start + length);
        start += length;
      }
    }
  }
  while (start < end) {
    const length = chunker.cut(buf, start, end, true);
    yield buf.slice(start, start + length);
    start += length;
  }
}

/** Convenience for tests and small inputs. The chunks are views into `data`. */
export function chunkBuffer(data: Uint8Array, config: ChunkerConfig): Uint8Array[] {
  const chunker = new Chunker(config);
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < data.length; ) {
    const length = chunker.cut(data, start, data.length, true);
    chunks.push(data.subarray(start, start + length));
    start += length;
  }
  return chunks;
}
