// Summaries of benchmark runs: median with min–max per tool and scenario, the ratios of each
// Meridian variant to restic and borg, as JSON and as a Markdown table.

import type { HotPathResult } from './hotPath.js';
import { Measurement } from './measure.js';
import type { ScaleResult } from './scale.js';

export const SCENARIOS = ['full', 'incremental', 'unchanged', 'restore'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ToolResults {
  runs: Partial<Record<Scenario, Measurement[]>>;
  /** Repository size and object count after the full backup (median over runs). */
  repoBytes: number[];
  repoObjects: number[];
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export interface Summary {
  tools: Record<string, { scenarios: Partial<Record<Scenario, { wallMs: Stat; cpuMs: Stat; peakRssMiB: Stat; requests?: Stat }>>; repoBytes: Stat; repoObjects: Stat }>;
  /** Meridian variant ÷ anchor, on median wall time (and repository bytes). */
  ratios: Record<string, Record<string, Partial<Record<Scenario | 'repoBytes', number>>>>;
}

export function summarize(results: Record<string, ToolResults>): Summary {
  const tools: Summary['tools'] = {};
  for (const [name, r] of Object.entries(results)) {
    const scenarios: Summary['tools'][string]['scenarios'] = {};
    for (const s of SCENARIOS) {
      const runs = r.runs[s];
      if (!runs?.length) continue;
      const requests = runs.flatMap((m) => (m.requests === undefined ? [] : [m.requests]));
      scenarios[s] = { wallMs: stat(runs.map((m) => m.wallMs)), cpuMs: stat(runs.map((m) => m.cpuMs)), peakRssMiB: stat(runs.map((m) => m.peakRssMiB)) };
      if (requests.length) scenarios[s].requests = stat(requests);
    }
    tools[name] = { scenarios, repoBytes: stat(r.repoBytes), repoObjects: stat(r.repoObjects) };
  }
  const ratios: Summary['ratios'] = {};
  for (const name of Object.keys(tools).filter((n) => n.startsWith('meridian'))) {
    ratios[name] = {};
    for (const anchor of ['restic', 'borg'].filter((a) => tools[a])) {
      const row: Partial<Record<Scenario | 'repoBytes', number>> = {};
      for (const s of SCENARIOS) {
        const m = tools[name]!.scenarios[s];
        const a = tools[anchor]!.scenarios[s];
        if (m && a) row[s] = round(m.wallMs.median / a.wallMs.median);
      }
      row.repoBytes = round(tools[name]!.repoBytes.median / tools[anchor]!.repoBytes.median);
      ratios[name]![anchor] = row;
    }
  }
  return { tools, ratios };
}

const round = (x: number) => Math.round(x * 100) / 100;
const fmt = (s: Stat, unit: string, scale = 1) => `${(s.median / scale).toFixed(2)} ${unit} (${(s.min / scale).toFixed(2)}–${(s.max / scale).toFixed(2)})`;

export function markdown(summary: Summary, context: string, scale: ScaleResult[], hotPath: HotPathResult): string {
  const lines = [context, '', '| tool | scenario | wall | CPU | peak memory | storage requests |', '|---|---|---|---|---|---|'];
  for (const [name, t] of Object.entries(summary.tools)) {
    for (const [s, m] of Object.entries(t.scenarios)) {
      lines.push(`| ${name} | ${s} | ${fmt(m.wallMs, 's', 1000)} | ${fmt(m.cpuMs, 's', 1000)} | ${m.peakRssMiB.median.toFixed(0)} MiB | ${m.requests?.median ?? '–'} |`);
    }
  }
  lines.push('', '| tool | repository after full backup | objects |', '|---|---|---|');
  for (const [name, t] of Object.entries(summary.tools)) lines.push(`| ${name} | ${(t.repoBytes.median / 1e6).toFixed(1)} MB | ${t.repoObjects.median} |`);
  lines.push('', '| ratio (median wall) | ' + [...SCENARIOS, 'repoBytes'].join(' | ') + ' |', '|---|' + [...SCENARIOS, 'repoBytes'].map(() => '---').join('|') + '|');
  for (const [name, anchors] of Object.entries(summary.ratios)) {
    for (const [anchor, row] of Object.entries(anchors)) {
      lines.push(`| ${name} ÷ ${anchor} | ` + [...SCENARIOS, 'repoBytes'].map((s) => (row[s as Scenario] ?? '–').toString()).join(' | ') + ' |');
    }
  }
  lines.push('', ...scaleMarkdown(scale));
  lines.push(
    '',
    `Hot path, one core, ${(hotPath.bytes / 1e6).toFixed(0)} MB of the dataset: chunk + hash + compress + seal ${hotPath.pipelineMBps} MB/s; raw zstd (Meridian's default level) alone ${hotPath.rawZstdMBps} MB/s (pipeline at ${hotPath.ratio} of raw zstd).`,
  );
  return lines.join('\n') + '\n';
}

/** The scale scenario: one row per tool and step (full backup, nothing-changed backup, full restore). */
function scaleMarkdown(scale: ScaleResult[]): string[] {
  const first = scale[0];
  const what = first?.dataset === 'tiles' ? 'tiles of a GIS tile tree z/x/y' : 'small JSON files';
  const lines = [
    `Scale: ${first?.files ?? 0} ${what} (${((first?.bytes ?? 0) / 1e6).toFixed(0)} MB): full backup into a new repository, backup with nothing changed, full restore (one run each).`,
    '',
    '| tool | step | wall | CPU | peak memory | workflow history events |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of scale) {
    for (const step of ['full', 'unchanged', 'restore'] as const) {
      const m = r[step];
      lines.push(`| ${r.tool} | ${step} | ${(m.wallMs / 1000).toFixed(2)} s | ${(m.cpuMs / 1000).toFixed(2)} s | ${m.peakRssMiB.toFixed(0)} MiB | ${m.historyEvents ?? '–'} |`);
    }
  }
  const restic = scale.find((r) => r.tool === 'restic');
  if (restic) {
    lines.push('');
    for (const r of scale.filter((s) => s.tool.startsWith('meridian'))) {
      lines.push(`${r.tool} ÷ restic, wall: full ${ratio(r.full, restic.full)}, unchanged ${ratio(r.unchanged, restic.unchanged)}, restore ${ratio(r.restore, restic.restore)}.`);
    }
  }
  return lines;
}

const ratio = (m: Measurement, anchor: Measurement) => round(m.wallMs / anchor.wallMs).toString();
