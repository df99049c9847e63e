// FastCDC chunker: boundaries are content-defined (an insertion disturbs only nearby chunks),
// streaming gives the same chunks as one buffer, sizes respect the parameters, the cut points
// match a plain byte-at-a-time FastCDC with the documented gear table and masks, and the gear
// table is keyed: another seed cuts the same bytes elsewhere.

import { createHash, createHmac } from 'node:crypto';
import { Chunker, ChunkerConfig, ChunkerParams, chunkBuffer, chunkStream, DEFAULT_CHUNKER, validateChunkerParams } from '../../core/chunker';
import { RepositoryError } from '../../core/errors';

const MiB = 1024 * 1024;
const SEED = '5eed'.repeat(16);
const OTHER_SEED = 'a1'.repeat(32);
const SMALL: ChunkerConfig = { min: 4096, avg: 8192, max: 65536, seed: SEED };
const DEFAULT: ChunkerConfig = { ...DEFAULT_CHUNKER, seed: SEED };

/** Deterministic pseudo-random bytes (xorshift32). */
function randomData(length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4));
  let s = seed;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  return new Uint8Array(words.buffer, 0, length);
}

const hash = (chunk: Uint8Array) => createHash('sha256').update(chunk).digest('hex');

function concat(chunks: Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

function expectSizes(chunks: Uint8Array[], p: ChunkerParams): void {
  chunks.forEach((chunk, i) => {
    expect(chunk.length).toBeLessThanOrEqual(p.max);
    if (i < chunks.length - 1) expect(chunk.length).toBeGreaterThanOrEqual(p.min);
    expect(chunk.length).toBeGreaterThan(0);
  });
}

async function* pieces(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, k = 0; at < data.length; k++) {
    const size = sizes[k % sizes.length]!;
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

/** Textbook FastCDC, one byte per step: gear value i is the little-endian int32 at byte 4*(i%8) of
 * HMAC-SHA-256(seed, "meridian gear table " + floor(i/8)), masks of log2(avg)±2 bits ending at
 * bit 30, hashing from offset min, maskS before avg, maskL after. */
function referenceLengths(data: Uint8Array, p: ChunkerConfig): number[] {
  const gear = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    gear[i] = createHmac('sha256', Buffer.from(p.seed, 'hex')).update(`meridian gear table ${Math.floor(i / 8)}`).digest().readInt32LE(4 * (i % 8));
  }
  const bits = Math.log2(p.avg);
  const mask = (n: number) => (((1 << n) - 1) << (31 - n)) | 0;
  const maskS = mask(bits + 2);
  const maskL = mask(bits - 2);
  const lengths: number[] = [];
  for (let start = 0; start < data.length; ) {
    const n = Math.min(data.length - start, p.max);
    let length = n;
    let h = 0;
    for (let i = p.min; i < n; i++) {
      h = ((h << 1) + gear[data[start + i]!]!) | 0;
      if ((h & (i < p.avg ? maskS : maskL)) === 0) {
        length = i + 1;
        break;
      }
    }
    lengths.push(length);
    start += length;
  }
  return lengths;
}

describe('validateChunkerParams', () => {
  it('accepts the defaults and small sizes', () => {
    expect(validateChunkerParams(DEFAULT_CHUNKER)).toEqual({ min: 512 * 1024, avg: MiB, max: 8 * MiB });
    expect(validateChunkerParams(SMALL)).toEqual({ min: 4096, avg: 8192, max: 65536 });
    expect(validateChunkerParams({ min: 16 * MiB, avg: 32 * MiB, max: 64 * MiB })).toEqual({ min: 16 * MiB, avg: 32 * MiB, max: 64 * MiB });
  });

  it.each<[string, ChunkerParams]>([
    ['min below 4096', { min: 2048, avg: 8192, max: 65536 }],
    ['min equal to avg', { min: 8192, avg: 8192, max: 65536 }],
    ['avg equal to max', { min: 4096, avg: 65536, max: 65536 }],
    ['avg not a power of two', { min: 4096, avg: 12000, max: 65536 }],
    ['max above 64 MiB', { min: MiB, avg: 4 * MiB, max: 64 * MiB + 1 }],
    ['fractional sizes', { min: 4096.5, avg: 8192, max: 65536 }],
    ['NaN', { min: NaN, avg: 8192, max: 65536 }],
  ])('rejects %s', (_, params) => {
    const attempt = () => validateChunkerParams(params);
    expect(attempt).toThrow(RepositoryError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => new Chunker({ ...params, seed: SEED })).toThrow(RepositoryError);
  });

  it('rejects a seed that is not 32 bytes of hex', () => {
    expect(() => new Chunker({ ...SMALL, seed: 'ab'.repeat(31) })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    expect(() => new Chunker({ ...SMALL, seed: 'xy'.repeat(32) })).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
  });
});

describe('Chunker', () => {
  it('cuts where a byte-at-a-time FastCDC cuts', () => {
    const small = randomData(4 * MiB + 12345, 7);
    expect(chunkBuffer(small, SMALL).map((c) => c.length)).toEqual(referenceLengths(small, SMALL));
    const large = randomData(24 * MiB + 1, 8);
    expect(chunkBuffer(large, DEFAULT).map((c) => c.length)).toEqual(referenceLengths(large, DEFAULT));
    const other = { ...SMALL, seed: OTHER_SEED };
    expect(chunkBuffer(small, other).map((c) => c.length)).toEqual(referenceLengths(small, other));
  });

  it('gives each chunker its own cuts when chunkers of two seeds take turns', () => {
    const data = randomData(2 * MiB, 12);
    const other = { ...SMALL, seed: OTHER_SEED };
    const mine = new Chunker(SMALL);
    const theirs = new Chunker(other);
    const turns: [number[], number[]] = [[], []];
    for (let a = 0, b = 0; a < data.length || b < data.length; ) {
      if (a < data.length) turns[0].push((a += mine.cut(data, a, data.length, true)));
      if (b < data.length) turns[1].push((b += theirs.cut(data, b, data.length, true)));
    }
    const ends = (lengths: number[]) => lengths.map((_, i) => lengths.slice(0, i + 1).reduce((x, y) => x + y));
    expect(turns[0]).toEqual(ends(referenceLengths(data, SMALL)));
    expect(turns[1]).toEqual(ends(referenceLengths(data, other)));
  });

  it('cuts the same bytes elsewhere under another seed', () => {
    const data = randomData(4 * MiB, 11);
    const cuts = (seed: string) => new Set(chunkBuffer(data, { ...SMALL, seed }).map((c) => c.byteOffset));
    const mine = cuts(SEED);
    const shared = [...cuts(OTHER_SEED)].filter((at) => mine.has(at));
    expect(mine.size).toBeGreaterThan(300);
    expect(shared.length).toBeLessThan(mine.size / 10);
  });

  it('keeps the chunk boundaries of the repository format', () => {
    // Pinned (with a fixed seed): a change here means new versions no longer deduplicate against old repositories.
    const lengths = chunkBuffer(randomData(256 * 1024, 1), SMALL).map((c) => c.length);
    expect(lengths.slice(0, 8)).toEqual(PINNED_SMALL_LENGTHS);
  });

  it('asks for more data until it can decide, then agrees with the final answer', () => {
    const data = randomData(3 * 65536, 3);
    const chunker = new Chunker(SMALL);
    const final = chunker.cut(data, 100, data.length, true);
    expect(chunker.cut(data, 100, 100 + SMALL.min, false)).toBe(-1);
    expect(chunker.cut(data, 100, 100 + final - 1, false)).toBe(-1);
    expect(chunker.cut(data, 100, 100 + final, false)).toBe(final);
    expect(chunker.cut(data, 100, 100 + SMALL.max, false)).toBe(final);
    expect(chunker.cut(data, 100, 100 + 10, true)).toBe(10);
  });

  it('cuts featureless data at max', () => {
    const zeros = new Uint8Array(20 * MiB);
    const chunks = chunkBuffer(zeros, DEFAULT);
    expect(chunks.map((c) => c.length)).toEqual([8 * MiB, 8 * MiB, 4 * MiB]);
  });

  it('chunks nothing into nothing', async () => {
    expect(chunkBuffer(new Uint8Array(0), SMALL)).toEqual([]);
    expect(await collect(chunkStream(pieces(new Uint8Array(0), [1]), SMALL))).toEqual([]);
  });
});

describe('content-defined chunking', () => {
  const original = randomData(64 * MiB, 0x2545f491);
  const middle = 32 * MiB + 12345;
  const edited = Buffer.concat([original.subarray(0, middle), randomData(100, 99), original.subarray(middle)]);

  it('changes only the chunks around a 100-byte insertion in 64 MiB', () => {
    const before = chunkBuffer(original, DEFAULT);
    const after = chunkBuffer(edited, DEFAULT);
    for (const [data, chunks] of [[original, before], [edited, after]] as const) {
      expect(Buffer.compare(concat(chunks), data)).toBe(0);
      expectSizes(chunks, DEFAULT);
      expect(chunks.length).toBeGreaterThan(32);
    }
    const known = new Set(before.map(hash));
    const changed = after.filter((c) => !known.has(hash(c)));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(3);
    expect(after.length - changed.length).toBeGreaterThanOrEqual(before.length - 3);
  });

  it('streams the same chunks as one buffer, whatever the piece sizes', async () => {
    const expected = chunkBuffer(edited, DEFAULT).map(hash);
    const streamed = await collect(chunkStream(pieces(edited, [1, 4093, 65537, 1000003, 7, 3333333, 9 * MiB]), DEFAULT));
    expect(streamed.map(hash)).toEqual(expected);
    // Every chunk owns its bytes: none is a view into a shared, reused buffer.
    expect(new Set(streamed.map((c) => c.buffer)).size).toBe(streamed.length);
  });

  it('works with small parameters', async () => {
    const data = randomData(8 * MiB + 777, 5);
    const chunks = chunkBuffer(data, SMALL);
    expect(Buffer.compare(concat(chunks), data)).toBe(0);
    expectSizes(chunks, SMALL);
    const mean = data.length / chunks.length;
    expect(mean).toBeGreaterThan(SMALL.min + 2048);
    expect(mean).toBeLessThan(2 * SMALL.avg);
    const streamed = await collect(chunkStream(pieces(data, [3, 5000, 70001]), SMALL));
    expect(streamed.map(hash)).toEqual(chunks.map(hash));
  });
});

const PINNED_SMALL_LENGTHS = [9070, 8451, 7637, 12647, 8388, 9290, 9728, 13114];
