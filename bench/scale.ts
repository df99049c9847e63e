// The scale scenario: many small files (100,000 small JSON files by default, or with `--tiles N`
// a GIS tile tree of N tiles, bench/tiles.ts) backed up by each tool into a new repository, then
// backed up again with nothing changed, then restored in full: wall time, peak memory, and for
// Meridian through Temporal each backup workflow's history length, which must stay a handful of
// events however many files there are. Each step but the smoke run's starts after a `sync`: one
// that starts while gigabytes written by the step before (a generated tree, a restore) are still
// being written back is slowed by them, so a tool's figure would depend on its turn.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { prng } from './dataset.js';
import { directoryUsage, measure, Measurement } from './measure.js';
import { writeTileTree } from './tiles.js';
import { Measured, Tool } from './tools.js';

export type ScaleDataset = 'json' | 'tiles';

export interface ScaleStep extends Measurement {
  historyEvents?: number;
}

export interface ScaleResult {
  tool: string;
  dataset: ScaleDataset;
  files: number;
  bytes: number;
  full: ScaleStep;
  unchanged: ScaleStep;
  restore: ScaleStep;
}

export function writeSmallFiles(root: string, count: number): void {
  const random = prng(99);
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `d${i % 100}`, `e${(i / 100) % 10 | 0}`);
    if (i < 1000) fs.mkdirSync(dir, { recursive: true });
    const body = Buffer.alloc(200 + ((random() * 3800) | 0), `feature ${i} ${random()} `);
    fs.writeFileSync(path.join(dir, `f${i}.json`), body);
  }
}

/** `syncFirst`: each step after a `sync` (not in the smoke run, where tests share the disk and it would stall theirs). */
export async function runScale(tools: Tool[], work: string, count: number, dataset: ScaleDataset, syncFirst: boolean, temporalAddress?: string): Promise<ScaleResult[]> {
  const source = path.join(work, 'scale-src');
  if (dataset === 'tiles') writeTileTree(source, count);
  else writeSmallFiles(source, count);
  const original = directoryUsage(source);
  const results: ScaleResult[] = [];
  for (const tool of tools) {
    const repo = path.join(work, `scale-repo-${tool.name}`);
    const target = path.join(work, 'scale-restore');
    measure(tool.init(repo));
    const step = async (run: () => Promise<Measured>): Promise<ScaleStep> => {
      if (syncFirst) spawnSync('sync');
      const m = await run();
      const result: ScaleStep = { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB };
      if (tool.name === 'meridian-temporal' && temporalAddress && m.workflowId) result.historyEvents = await historyLength(temporalAddress, m.workflowId);
      return result;
    };
    const full = await step(() => tool.backup(source, repo, 'scale'));
    const unchanged = await step(() => tool.backup(source, repo, 'scale-unchanged'));
    fs.mkdirSync(target);
    const restored = await step(() => tool.restore(repo, target, 'scale-unchanged'));
    const usage = directoryUsage(target);
    if (usage.bytes !== original.bytes || usage.files !== original.files) {
      throw new Error(`${tool.name} restored ${usage.files} files / ${usage.bytes} bytes of the scale tree, expected ${original.files} / ${original.bytes}`);
    }
    results.push({ tool: tool.name, dataset, files: original.files, bytes: original.bytes, full, unchanged, restore: restored });
    for (const dir of [repo, target]) fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(source, { recursive: true, force: true });
  return results;
}

async function historyLength(address: string, workflowId: string): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    return history.events?.length ?? 0;
  } finally {
    await connection.close();
  }
}
