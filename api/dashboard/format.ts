// How the dashboard writes times and sizes: short, human and stable ("3 min ago", "1.4 GiB"), with
// the ISO time kept in a title for the exact value. Durations and ratios: control/format.ts.

import { duration } from '../../control/format.js';
import { html, type Html } from './html.js';

/** A time as "N ago" (or "in N"), with the ISO time as its title. */
export function when(iso: string | undefined | null, now: Date): Html {
  if (!iso) return html`<span class="muted">never</span>`;
  const seconds = (now.getTime() - Date.parse(iso)) / 1000;
  const text = seconds >= 0 ? `${duration(seconds)} ago` : `in ${duration(-seconds)}`;
  return html`<time datetime="${iso}" title="${iso}">${text}</time>`;
}

export function bytes(count: number | undefined): string {
  if (count === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
