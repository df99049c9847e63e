// A source for the ransomware alert tests: text tiles that compress well, a day's normal work
// (a few of them rewritten with new text), and an attack (a share of them overwritten with random
// bytes, which do not compress, and renamed `.locked`).

import fs from 'node:fs';
import path from 'node:path';
import { pseudoRandomBytes } from './trees';

/** Noon UTC of day `n` of November 2026. */
export const dayTime = (n: number) => new Date(Date.UTC(2026, 10, 1 + n, 12));

/** A file of compressible text, different for each (file, version): 25–60 KB. */
const tileText = (file: number, version: number) => `tile ${file} version ${version}\n`.repeat(1500 + 5 * file);
const tilePath = (dir: string, file: number) => path.join(dir, `tile-${file}.json`);

export function writeTiles(dir: string, files: number): void {
  for (let i = 0; i < files; i++) fs.writeFileSync(tilePath(dir, i), tileText(i, 0));
}

/** Day `day`'s normal work: `count` tiles rewritten with new text. */
export function changeTiles(dir: string, files: number, day: number, count: number): void {
  for (let k = 0; k < count; k++) {
    const file = (day * count + k) % files;
    fs.writeFileSync(tilePath(dir, file), tileText(file, day));
  }
}

/** The attack: the first `share` of the tiles replaced by random bytes of their size, named `<name>.locked`. */
export function encryptTiles(dir: string, files: number, share: number): void {
  for (let i = 0; i < files * share; i++) {
    const file = tilePath(dir, i);
    fs.writeFileSync(`${file}.locked`, pseudoRandomBytes(fs.statSync(file).size, i));
    fs.rmSync(file);
  }
}
