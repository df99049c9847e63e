// Draws the benchmark summary as an SVG bar chart: one group per scenario, one bar per tool
// (median wall time, with a min–max whisker), so the side-by-side result reads at a glance.

import { Scenario, SCENARIOS, Summary } from './report.js';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

export function svgChart(summary: Summary, title: string): string {
  const tools = Object.keys(summary.tools);
  const scenarios = SCENARIOS.filter((s) => tools.some((t) => summary.tools[t]!.scenarios[s]));
  const max = Math.max(...tools.flatMap((t) => scenarios.map((s) => summary.tools[t]!.scenarios[s]?.wallMs.max ?? 0)), 1);
  const width = 760;
  const height = 360;
  const left = 60;
  const bottom = 300;
  const top = 50;
  const groupWidth = (width - left - 20) / scenarios.length;
  const barWidth = Math.min(36, (groupWidth - 20) / tools.length);
  const y = (ms: number) => bottom - ((bottom - top) * ms) / max;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const ms = (max * i) / 4;
    parts.push(`<text x="${left - 6}" y="${y(ms) + 4}" text-anchor="end">${(ms / 1000).toFixed(1)} s</text>`, `<line x1="${left}" y1="${y(ms)}" x2="${width - 10}" y2="${y(ms)}" stroke="#ddd"/>`);
  }
  scenarios.forEach((scenario: Scenario, g) => {
    const x0 = left + g * groupWidth + (groupWidth - barWidth * tools.length) / 2;
    tools.forEach((tool, t) => {
      const m = summary.tools[tool]!.scenarios[scenario];
      if (!m) return;
      const x = x0 + t * barWidth;
      parts.push(
        `<rect x="${x}" y="${y(m.wallMs.median)}" width="${barWidth - 4}" height="${bottom - y(m.wallMs.median)}" fill="${COLORS[t % COLORS.length]}"><title>${escape(tool)} ${scenario}: ${(m.wallMs.median / 1000).toFixed(2)} s</title></rect>`,
        `<line x1="${x + (barWidth - 4) / 2}" y1="${y(m.wallMs.min)}" x2="${x + (barWidth - 4) / 2}" y2="${y(m.wallMs.max)}" stroke="#222"/>`,
      );
    });
    parts.push(`<text x="${left + g * groupWidth + groupWidth / 2}" y="${bottom + 18}" text-anchor="middle">${scenario}</text>`);
  });
  tools.forEach((tool, t) => {
    const x = left + t * 170;
    parts.push(`<rect x="${x}" y="${height - 28}" width="12" height="12" fill="${COLORS[t % COLORS.length]}"/>`, `<text x="${x + 16}" y="${height - 18}">${escape(tool)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
