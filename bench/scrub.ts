// The scrub scenario: a rotating deep verification against its anchor, restic's
// `check --read-data-subset n/T`. One repository per tool holds the same backup of the dataset;
// a whole rotation of T runs is measured run by run (subset n/T read by each), then a full read
// of every pack (Meridian's scrub with a cycle of 1, restic's `check --read-data`): wall time,
// CPU time, peak memory, and the pack bytes Meridian read (restic does not report them).

import fs from 'node:fs';
import path from 'node:path';
import { measure, Measurement } from './measure.js';
import { engineCommand, meridianEngine, resticCommand } from './tools.js';

export interface ScrubRun {
  subset: string;
  restic?: Measurement;
  meridian: Measurement & { packs: number; bytes: number };
}

export interface ScrubBenchResult {
  cycle: number;
  packs: number;
  repositoryBytes: { meridian: number; restic?: number };
  runs: ScrubRun[];
  full: Omit<ScrubRun, 'subset'>;
}

interface EngineScrubOutput {
  result: { ok: boolean; checked: { packs: number; bytes: number }; next: { cycle: number; subset: number; after?: string } };
}

export function runScrubBench(data: string, work: string, options: { cycle: number; withRestic: boolean; log: (m: string) => void }): ScrubBenchResult {
  const repos = { meridian: path.join(work, 'scrub-meridian'), restic: path.join(work, 'scrub-restic') };
  options.log(`scrub: one backup per tool, then a rotation of ${options.cycle} runs and a full read`);
  measure(meridianEngine().init(repos.meridian));
  measure(engineCommand(['backup', data, repos.meridian]));
  if (options.withRestic) {
    measure(resticCommand(['init', '-q', '--repo', repos.restic, '--repository-version', '2']));
    measure(resticCommand(['backup', '-q', '--repo', repos.restic, '--host', 'bench', '--compression', 'auto', data]));
  }
  const meridianScrub = (cycle: number, cursor?: EngineScrubOutput['result']['next']) => {
    const m = measure(engineCommand(['scrub', repos.meridian, String(cycle), ...(cursor ? [JSON.stringify(cursor)] : [])]));
    const out = JSON.parse(m.stdout) as EngineScrubOutput;
    if (!out.result.ok) throw new Error(`Meridian's scrub of an undamaged repository reported problems`);
    return { figures: { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, packs: out.result.checked.packs, bytes: out.result.checked.bytes }, next: out.result.next };
  };
  const resticCheck = (args: string[]): Measurement => {
    const m = measure(resticCommand(['check', '-q', '--repo', repos.restic, ...args]));
    return { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB };
  };

  const runs: ScrubRun[] = [];
  let cursor: EngineScrubOutput['result']['next'] | undefined;
  for (let n = 1; n <= options.cycle; n++) {
    const subset = `${n}/${options.cycle}`;
    const meridian = meridianScrub(options.cycle, cursor);
    cursor = meridian.next;
    runs.push({ subset, meridian: meridian.figures, ...(options.withRestic && { restic: resticCheck([`--read-data-subset=${subset}`]) }) });
  }
  const full = { meridian: meridianScrub(1).figures, ...(options.withRestic && { restic: resticCheck(['--read-data']) }) };
  const usage = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((sum, e) => (e.isFile() ? sum + fs.statSync(path.join(e.parentPath, e.name)).size : sum), 0);
  const result: ScrubBenchResult = {
    cycle: options.cycle,
    packs: runs.reduce((sum, r) => sum + r.meridian.packs, 0),
    repositoryBytes: { meridian: usage(repos.meridian), ...(options.withRestic && { restic: usage(repos.restic) }) },
    runs,
    full,
  };
  for (const dir of Object.values(repos)) fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The Markdown table and lines of this scenario. */
export function scrubMarkdown(result: ScrubBenchResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '');
  const row = (label: string, r: Omit<ScrubRun, 'subset'>) =>
    `| ${label} | ${r.restic ? s(r.restic.wallMs) : ''} | **${s(r.meridian.wallMs)}** | **${ratio(r.meridian.wallMs, r.restic?.wallMs)}** | ${r.restic ? s(r.restic.cpuMs) : ''} | ${s(r.meridian.cpuMs)} | ` +
    `${r.restic ? r.restic.peakRssMiB.toFixed(0) : ''} / ${r.meridian.peakRssMiB.toFixed(0)} MiB | ${r.meridian.packs} packs, ${mb(r.meridian.bytes)} |`;
  const total = (pick: (r: ScrubRun) => Measurement | undefined) => result.runs.reduce((sum, r) => sum + (pick(r)?.wallMs ?? 0), 0);
  const resticTotal = result.runs[0]?.restic ? total((r) => r.restic) : undefined;
  return [
    `Scrub: one backup of the dataset (Meridian ${mb(result.repositoryBytes.meridian)}, restic ${result.repositoryBytes.restic ? mb(result.repositoryBytes.restic) : '—'}), ` +
      `a rotation of ${result.cycle} runs (Meridian's scrub subset n/${result.cycle}; restic \`check --read-data-subset n/${result.cycle}\`), then every pack at once ` +
      '(scrub with a cycle of 1; `check --read-data`). Each run also walks every snapshot\'s trees.',
    '',
    '| run | restic wall | Meridian wall | ÷ restic | restic CPU | Meridian CPU | peak memory restic / Meridian | Meridian read |',
    '|---|---|---|---|---|---|---|---|',
    ...result.runs.map((r) => row(r.subset, r)),
    row('all packs', result.full),
    '',
    `Whole rotation: Meridian ${s(total((r) => r.meridian))}${resticTotal ? `, restic ${s(resticTotal)} (÷ ${ratio(total((r) => r.meridian), resticTotal)})` : ''}; ` +
      `the ${result.cycle} runs read ${result.packs} packs, each exactly once.`,
    '',
  ].join('\n');
}
