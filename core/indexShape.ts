// The shape check of an index file, written out by hand: every backup, restore and verify loads
// the whole index (142 MB of JSON at 1,000,000 blobs), and zod's parse of IndexFileSchema
// (core/masterIndex.ts) took a twentieth of a backup with nothing changed, copying every entry.
// This accepts exactly what IndexFileSchema accepts (test/unit/indexShape.test.ts compares them),
// checking entries in place, and has the same safeParse as a zod schema for Repository.loadJsonFile.

import { isObject } from './jsonShape.js';
import type { IndexFile } from './masterIndex.js';

const HEX_ID = /^[0-9a-f]{64}$/;
const BLOB_TYPES = new Set(['data', 'tree']);

const isId = (v: unknown) => typeof v === 'string' && HEX_ID.test(v);
const atLeast = (min: number) => (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isOffset = atLeast(0);
const isLength = atLeast(1);

/** Why a blob entry is malformed, or undefined when it is not. */
function blobProblem(blob: unknown): string | undefined {
  if (!isObject(blob)) return 'is not an object';
  if (!isId(blob.id)) return 'id must be 64 hex digits';
  if (!BLOB_TYPES.has(blob.type as string)) return 'type must be data or tree';
  if (!isOffset(blob.offset)) return 'offset must be a whole number ≥ 0';
  if (!isLength(blob.length)) return 'length must be a whole number ≥ 1';
  if (!isOffset(blob.codec)) return 'codec must be a whole number ≥ 0';
  if (!isOffset(blob.rawLength)) return 'rawLength must be a whole number ≥ 0';
  return undefined;
}

/** Why a parsed index file is malformed, or undefined when it is not. */
function indexProblem(value: unknown): string | undefined {
  if (!isObject(value) || !Array.isArray(value.packs)) return 'packs must be an array';
  for (let p = 0; p < value.packs.length; p++) {
    const pack: unknown = value.packs[p];
    if (!isObject(pack) || !isId(pack.id)) return `pack ${p}: id must be 64 hex digits`;
    if (!Array.isArray(pack.blobs)) return `pack ${p}: blobs must be an array`;
    for (let b = 0; b < pack.blobs.length; b++) {
      const problem = blobProblem(pack.blobs[b]);
      if (problem) return `pack ${p}, blob ${b}: ${problem}`;
    }
  }
  return undefined;
}

export const IndexFileShape = {
  safeParse(value: unknown): { success: true; data: IndexFile } | { success: false; error: { issues: { message: string }[] } } {
    const problem = indexProblem(value);
    return problem === undefined ? { success: true, data: value as IndexFile } : { success: false, error: { issues: [{ message: problem }] } };
  },
};
