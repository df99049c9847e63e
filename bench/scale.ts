// The scale scenario: many small files (100,000 by default) backed up by each tool into a new
// repository: wall time, peak memory, and for Meridian through Temporal the backup workflow's
// history length, which must stay a handful of events however many files there are.

import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { prng } from './dataset.js';
import { measure, Measurement } from './measure.js';
import { Tool } from './tools.js';

export interface ScaleResult extends Measurement {
  tool: string;
  files: number;
  historyEvents?: number;
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

export async function runScale(tools: Tool[], work: string, count: number, temporalAddress?: string): Promise<ScaleResult[]> {
  const source = path.join(work, 'scale-src');
  writeSmallFiles(source, count);
  const results: ScaleResult[] = [];
  for (const tool of tools) {
    const repo = path.join(work, `scale-repo-${tool.name}`);
    measure(tool.init(repo));
    const m = await tool.backup(source, repo, 'scale');
    const result: ScaleResult = { tool: tool.name, files: count, wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB };
    if (tool.name === 'meridian-temporal' && temporalAddress && m.workflowId) result.historyEvents = await historyLength(temporalAddress, m.workflowId);
    results.push(result);
    fs.rmSync(repo, { recursive: true, force: true });
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
