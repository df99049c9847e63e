// What the CLI prints: on stdout exactly one JSON document with --json, else short human text
// (sizes, durations, times, aligned tables); notices, warnings and errors for people go to stderr,
// an error as one JSON object with --json; -q silences notices (and the progress line).

/** How this run reports, set once from the command line before the command runs. */
const mode = { quiet: false, json: false };

export function setOutputMode(quiet: boolean, json: boolean): void {
  mode.quiet = quiet;
  mode.json = json;
}

/** A progress line is drawn only on a terminal, and neither with -q nor with --json. */
export function progressWanted(): boolean {
  return !mode.quiet && !mode.json && process.stderr.isTTY === true;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An informational `meridian: …` line on stderr (which keeps stdout clean for results); none with -q. */
export function notice(message: string): void {
  if (!mode.quiet) process.stderr.write(`meridian: ${message}\n`);
}

/** A `meridian: warning: …` line on stderr that -q keeps: something the result left out. */
export function warning(message: string): void {
  process.stderr.write(`meridian: warning: ${message}\n`);
}

/** The error that ends the run: one `meridian: …` line, or one JSON object with --json (as the HTTP API's, plus the exit code). */
export function printError(error: { code: string; message: string; exitCode: number }): void {
  const { code, message, exitCode } = error;
  process.stderr.write(mode.json ? `${JSON.stringify({ error: { code, message, exitCode } })}\n` : `meridian: ${message}\n`);
}

export function printLines(...lines: string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `value` rounded to `digits` decimals, as toFixed prints it. */
const rounded = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * 1023 B, 1.00 KiB, 9.99 KiB, 10.0 KiB, 1023.9 KiB, 1.00 MiB: two decimals below 10, one above.
 * The value is rounded before the unit and the decimals are chosen, so that rounding never
 * shows 1024.0 KiB or 10.00 MiB.
 */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  let unit = 1;
  let value = bytes / 1024;
  while (Math.abs(rounded(value, 1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(Math.abs(rounded(value, 2)) < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** 250 ms, 59.9 s, 1 min 0 s, 59 min 59 s, 1 h 0 min: rounded before the unit is chosen. */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (rounded(ms / 1000, 1) < 60) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `1 file`, `2 files`, `0 files`; `plural` for words not made with -s (directory → directories). */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** An ISO time in the local time zone, to the second: 2026-11-27 05:46:02. */
export function formatTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

/** The first 8 hex digits of an id, as the commands accept a unique prefix. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}
