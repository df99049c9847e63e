// The dashboard's small inline graphics, drawn on the server as SVG (no script, no library): an
// RPO history line against its target, and a progress bar.

import { html, type Html } from './html.js';

const WIDTH = 240;
const HEIGHT = 48;

/** RPO over the newest evaluations ([epoch seconds, RPO seconds]), the target as a dashed line; the line red while the newest point is over it. */
export function rpoChart(points: ReadonlyArray<readonly [number, number]>, targetSeconds: number | undefined, label: string): Html {
  if (points.length < 2) return html`<span class="muted">not enough history</span>`;
  const t0 = points[0]![0];
  const span = Math.max(1, points[points.length - 1]![0] - t0);
  const top = Math.max(targetSeconds ?? 0, ...points.map(([, rpo]) => rpo)) * 1.1 || 1;
  const x = (t: number) => ((t - t0) / span) * WIDTH;
  const y = (rpo: number) => HEIGHT - (Math.max(0, rpo) / top) * HEIGHT;
  const line = points.map(([t, rpo]) => `${x(t).toFixed(1)},${y(rpo).toFixed(1)}`).join(' ');
  const latest = points[points.length - 1]![1];
  const over = targetSeconds !== undefined && (latest > targetSeconds || latest < 0);
  const target =
    targetSeconds !== undefined ? html`<line x1="0" x2="${WIDTH}" y1="${y(targetSeconds).toFixed(1)}" y2="${y(targetSeconds).toFixed(1)}" class="target"/>` : '';
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${label}"><title>${label}</title>${target}<polyline points="${line}" class="${over ? 'bad' : 'good'}"/></svg>`;
}

/** A bar filled to `fraction` (0..1), its percentage written beside it; an unknown fraction is an indeterminate bar. */
export function progressBar(fraction: number | undefined): Html {
  if (fraction === undefined) return html`<span class="bar unknown" role="progressbar"><span></span></span> <span class="muted">no progress reported yet</span>`;
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return html`<span class="bar" role="progressbar" aria-valuenow="${pct}" aria-valuemin="0" aria-valuemax="100"><span style="width:${pct}%"></span></span> ${pct} %`;
}
