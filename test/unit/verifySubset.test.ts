// `verify --subset n/t` in the engine: subset membership by the first 4 bytes of the pack id, the
// n/t parser, and a deep verify that reads in full exactly the packs of its subset (counted by a
// recording storage wrapper), while the level's other checks still cover every pack.

import fs from 'node:fs';
import { verify } from '../../core/checker';
import { inSubset, parseSubset } from '../../core/packSubset';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { buildManyPacksRepository, MANY_PACKS_PASSPHRASE, ManyPacksRepository, packNames, packPath } from '../helpers/manyPacksRepository';
import { RecordingStorage } from '../helpers/recordingStorage';
import { tempDir } from '../helpers/trees';

let built: ManyPacksRepository;
beforeAll(async () => {
  built = await buildManyPacksRepository(12);
});

async function recorded(dir: string): Promise<{ repo: Repository; storage: RecordingStorage }> {
  const storage = new RecordingStorage(new LocalStorage(dir));
  return { repo: await Repository.open(storage, MANY_PACKS_PASSPHRASE), storage };
}

/** The packs read whole (deep verify's reads), in the order read. */
const wholePackReads = (storage: RecordingStorage) => storage.calls.filter((c) => c.op === 'get' && c.type === 'data' && !c.range).map((c) => c.name);

describe('pack subsets', () => {
  it('a pack belongs to subset n/t when its first 4 bytes, as an unsigned integer, leave n − 1 modulo t', () => {
    expect(inSubset('00000000' + 'ab'.repeat(28), { n: 1, t: 3 })).toBe(true);
    expect(inSubset('00000004' + 'ab'.repeat(28), { n: 2, t: 3 })).toBe(true); // 4 % 3 = 1
    expect(inSubset('ffffffff' + '00'.repeat(28), { n: 1, t: 3 })).toBe(true); // 4294967295 % 3 = 0, unsigned
    expect(inSubset('ffffffff' + '00'.repeat(28), { n: 1, t: 2 })).toBe(false);
    expect(inSubset('80000000' + '00'.repeat(28), { n: 3, t: 7 })).toBe(2147483648 % 7 === 2);
  });

  it('parses n/t and refuses every other form', () => {
    expect(parseSubset('2/7')).toEqual({ n: 2, t: 7 });
    expect(parseSubset(' 1 / 1 ')).toEqual({ n: 1, t: 1 });
    for (const bad of ['0/3', '4/3', 'a/b', '3', '1/0', '-1/3', '1.5/3', '1/3/5', '']) expect(parseSubset(bad)).toBeUndefined();
  });
});

describe('verify with a subset', () => {
  it('a deep verify of subset n/t reads exactly the packs of that subset; subsets 1..t read every pack once', async () => {
    const all = packNames(built.dir);
    expect(all.length).toBeGreaterThanOrEqual(12);
    const t = 4;
    const readOverall: string[] = [];
    for (let n = 1; n <= t; n++) {
      const { repo, storage } = await recorded(built.dir);
      const report = await verify(repo, { level: 'deep', subset: { n, t } });
      const read = wholePackReads(storage);
      expect(report.ok).toBe(true);
      expect(report.subset).toEqual({ n, t });
      expect(read.sort()).toEqual(all.filter((p) => inSubset(p, { n, t })));
      expect(report.checked.packs).toBe(read.length);
      readOverall.push(...read);
    }
    expect(readOverall.sort()).toEqual(all);
  });

  it('finds a damaged pack of its subset, and only reads within its subset (a pack outside it stays unread)', async () => {
    const dir = tempDir('subset-damage');
    fs.cpSync(built.dir, dir, { recursive: true });
    const all = packNames(dir);
    // The largest pack holds file data (trees are small): damage one byte in its middle.
    const victim = all.reduce((a, b) => (fs.statSync(packPath(dir, a)).size >= fs.statSync(packPath(dir, b)).size ? a : b));
    const file = packPath(dir, victim);
    const bytes = fs.readFileSync(file);
    const at = Math.floor(bytes.length / 3);
    bytes[at] = bytes[at]! ^ 0x40;
    fs.writeFileSync(file, bytes);
    const t = 3;
    const own = [1, 2, 3].find((n) => inSubset(victim, { n, t }))!;
    const found = await verify((await recorded(dir)).repo, { level: 'deep', subset: { n: own, t } });
    expect(found.ok).toBe(false);
    expect(found.problems).toContainEqual(expect.objectContaining({ kind: 'damaged-blob', pack: victim, snapshot: expect.stringMatching(/^[0-9a-f]{64}$/), path: expect.stringMatching(/tile-\d+\.bin$/) }));
    const other = (own % t) + 1;
    const elsewhere = await verify((await recorded(dir)).repo, { level: 'deep', subset: { n: other, t } });
    expect(elsewhere.ok).toBe(true);
  });

  it('refuses a subset with a level that reads no pack data, with a sample percentage, or out of range', async () => {
    const { repo } = await recorded(built.dir);
    await expect(verify(repo, { level: 'standard', subset: { n: 1, t: 2 } })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/subset of packs to read needs level deep/) });
    await expect(verify(repo, { level: 'deep', subset: { n: 1, t: 2 }, samplePercent: 50 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(verify(repo, { level: 'deep', subset: { n: 3, t: 2 } })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/pack subset 3\/2/) });
  });
});
