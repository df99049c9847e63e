// How Meridian writes durations and ratios for people, in one place so the dashboard, the Markdown
// SLA report and `meridian sla` say the same thing: "45 s", "12 min", "3 h 5 min", "2 d 4 h",
// "99.31 %", and "—" for a value there is none of.

/** What a missing value reads as. */
export const NONE = '—';

/** Whole seconds as the two largest units: 45 s, 12 min, 3 h 5 min, 2 d 4 h; NONE when missing or negative. */
export function duration(value: number | undefined | null): string {
  if (value === undefined || value === null || value < 0) return NONE;
  const s = Math.round(value);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86_400)} d${s % 86_400 >= 3600 ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`;
}

/** A ratio as a percentage with `decimals` digits (100 % without any); NONE without a value. */
export function percent(ratio: number | null | undefined, decimals = 1): string {
  return ratio === null || ratio === undefined ? NONE : `${(ratio * 100).toFixed(ratio === 1 ? 0 : decimals)} %`;
}
