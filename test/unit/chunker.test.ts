// FastCDC chunker: boundaries are content-defined (an insertion disturbs only nearby chunks),
// streaming gives the same chunks as one buffer, sizes respect the parameters, and the cut
// points match a plain byte-at-a-time FastCDC with the documented gear table and masks.

import { createHash } from 'node:crypto';
import { Chunker, ChunkerParams, chunkBuffer, chunkStream, DEFAULT_CHUNKER, validateChunkerParams } from '../../core/chunker';
import { RepositoryError } from '../../core/errors';

const MiB = 1024 * 1024;
const SMALL: ChunkerParams = { min: 4096, avg: 8192, max: 65536 };

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

/** Textbook FastCDC, one byte per step: gear table from mulberry32 seeded "MERI", masks of
 * log2(avg)±2 bits ending at bit 30, hashing from offset min, maskS before avg, maskL after. */
function referenceLengths(data: Uint8Array, p: ChunkerParams): number[] {
  const gear = new Int32Array(256);
  let state = 0x4d455249;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    gear[i] = z ^ (z >>> 14);
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
    expect(validateChunkerParams(SMALL)).toEqual(SMALL);
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
    expect(() => new Chunker(params)).toThrow(RepositoryError);
  });
});

describe('Chunker', () => {
  it('cuts where a byte-at-a-time FastCDC cuts', () => {
    const small = randomData(4 * MiB + 12345, 7);
    expect(chunkBuffer(small, SMALL).map((c) => c.length)).toEqual(referenceLengths(small, SMALL));
    const large = randomData(24 * MiB + 1, 8);
    expect(chunkBuffer(large, DEFAULT_CHUNKER).map((c) => c.length)).toEqual(referenceLengths(large, DEFAULT_CHUNKER));
  });

  it('keeps the chunk boundaries of the repository format', () => {
    // Pinned: a change here means new versions no longer deduplicate against old repositories.
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
    const chunks = chunkBuffer(zeros, DEFAULT_CHUNKER);
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
    const before = chunkBuffer(original, DEFAULT_CHUNKER);
    const after = chunkBuffer(edited, DEFAULT_CHUNKER);
    for (const [data, chunks] of [[original, before], [edited, after]] as const) {
      expect(Buffer.compare(concat(chunks), data)).toBe(0);
      expectSizes(chunks, DEFAULT_CHUNKER);
      expect(chunks.length).toBeGreaterThan(32);
    }
    const known = new Set(before.map(hash));
    const changed = after.filter((c) => !known.has(hash(c)));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(3);
    expect(after.length - changed.length).toBeGreaterThanOrEqual(before.length - 3);
  });

  it('streams the same chunks as one buffer, whatever the piece sizes', async () => {
    const expected = chunkBuffer(edited, DEFAULT_CHUNKER).map(hash);
    const streamed = await collect(chunkStream(pieces(edited, [1, 4093, 65537, 1000003, 7, 3333333, 9 * MiB]), DEFAULT_CHUNKER));
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

const PINNED_SMALL_LENGTHS = [11696, 8965, 9854, 10027, 9284, 9372, 8632, 13092];
