// Per-blob compression: every codec round-trips, incompressible data is stored raw (codec 0),
// and decompression refuses unknown codecs and lengths that disagree with the index.

import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  COMPRESSION_LEVELS,
  COMPRESSION_NAMES,
  CompressionLevel,
  CompressionName,
  compressBlob,
  decompressBlob,
} from '../../core/compression';
import { RepositoryError } from '../../core/errors';

const CODEC: Record<CompressionName, number> = { none: 0, zstd: 1, lz4: 2, gzip: 3 };

/** About 1 MiB of GeoJSON-like text. */
function compressible(): Uint8Array {
  const features: string[] = [];
  for (let i = 0; features.join(',').length < 1024 * 1024; i++) {
    features.push(
      JSON.stringify({
        type: 'Feature',
        id: i,
        properties: { name: `parcel-${i}`, zone: ['residential', 'commercial', 'park'][i % 3], area: (i * 37) % 9973 },
        geometry: { type: 'Point', coordinates: [4.35 + i / 1e5, 50.85 - i / 1e5] },
      }),
    );
  }
  return Buffer.from(`{"type":"FeatureCollection","features":[${features.join(',')}]}`);
}

const text = compressible();
const random = randomBytes(1024 * 1024);

const cases = COMPRESSION_NAMES.filter((n) => n !== 'none').flatMap((name) =>
  COMPRESSION_LEVELS.map((level) => [name, level] as [CompressionName, CompressionLevel]),
);

const expectIntegrityError = (attempt: () => unknown) => {
  expect(attempt).toThrow(RepositoryError);
  expect(attempt).toThrow(expect.objectContaining({ code: 'integrity' }));
};

describe('compressBlob / decompressBlob', () => {
  it('lists the codecs and levels the configuration accepts', () => {
    expect([...COMPRESSION_NAMES].sort()).toEqual(['gzip', 'lz4', 'none', 'zstd']);
    expect(COMPRESSION_LEVELS).toEqual(['fastest', 'default', 'better', 'best']);
  });

  it.each(cases)('%s at level %s round-trips compressible data and shrinks it', (name, level) => {
    const { codec, bytes } = compressBlob(text, name, level);
    expect(codec).toBe(CODEC[name]);
    expect(bytes.length).toBeLessThan(text.length / 3);
    expect(Buffer.compare(decompressBlob(codec, bytes, text.length), text)).toBe(0);
  });

  it.each(cases)('%s at level %s stores random data raw as codec 0', (name, level) => {
    const { codec, bytes } = compressBlob(random, name, level);
    expect(codec).toBe(0);
    expect(bytes).toBe(random);
    expect(Buffer.compare(decompressBlob(codec, bytes, random.length), random)).toBe(0);
  });

  it("'none' never compresses", () => {
    expect(compressBlob(text, 'none', 'best')).toEqual({ codec: 0, bytes: text });
  });

  it('handles empty and tiny blobs', () => {
    for (const name of COMPRESSION_NAMES) {
      for (const data of [new Uint8Array(0), Buffer.from('a')]) {
        const { codec, bytes } = compressBlob(data, name, 'default');
        expect(Buffer.compare(decompressBlob(codec, bytes, data.length), data)).toBe(0);
      }
    }
  });

  it('reads blobs written by another writer of the same codec', () => {
    // Old data stays readable: a gzip blob is an ordinary gzip stream, decoded by its stored id.
    expect(Buffer.compare(decompressBlob(3, gzipSync(text), text.length), text)).toBe(0);
  });

  it('rejects an unknown codec', () => {
    const { bytes } = compressBlob(text, 'zstd', 'default');
    expectIntegrityError(() => decompressBlob(4, bytes, text.length));
    expectIntegrityError(() => decompressBlob(-1, bytes, text.length));
  });

  it.each(['zstd', 'lz4', 'gzip'] as const)('%s rejects a wrong codec id, a wrong length and damaged bytes', (name) => {
    const { codec, bytes } = compressBlob(text, name, 'default');
    const other = codec === 1 ? 2 : 1;
    expectIntegrityError(() => decompressBlob(other, bytes, text.length));
    expectIntegrityError(() => decompressBlob(codec, bytes, text.length - 1));
    expectIntegrityError(() => decompressBlob(codec, bytes, text.length + 1));
    expectIntegrityError(() => decompressBlob(codec, bytes.subarray(0, bytes.length >> 1), text.length));
  });

  it('rejects a raw blob of the wrong length', () => {
    expectIntegrityError(() => decompressBlob(0, random, random.length + 1));
  });
});
