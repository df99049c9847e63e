// The time a user gives a snapshot (`meridian backup --time`, the API's `time`, restic's --time):
// an ISO 8601 date or date-time, with a zone (Z, +02:00) or without one (then in the local time
// zone of the process that reads it), checked field by field so that 2026-02-30 is refused
// rather than rolled over into March; and the time zone a user names for retention's calendar.

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export const SNAPSHOT_TIME_FORMAT = 'an ISO 8601 date-time such as 2026-11-30T02:15:00Z, 2026-11-30T03:15:00+01:00 or 2026-11-30 (local time without a zone)';
export const ZONED_SNAPSHOT_TIME_FORMAT = 'an ISO 8601 date-time with a zone, such as 2026-11-30T02:15:00Z or 2026-11-30T03:15:00+01:00';

/** The instant `text` names, or undefined when it is no valid ISO 8601 date(-time); `requireZone` refuses local times. */
export function parseSnapshotTime(text: string, options: { requireZone?: boolean } = {}): Date | undefined {
  const match = ISO_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  if (options.requireZone && zone === undefined) return undefined;
  if (zone !== undefined && !validZone(zone)) return undefined;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.floor(Number(`0.${fraction || '0'}`) * 1000)] as const;
  const date = zone === undefined ? new Date(...fields) : new Date(Date.UTC(...fields) - zoneOffsetMinutes(zone) * 60_000);
  const shifted = zone === undefined ? date : new Date(date.getTime() + zoneOffsetMinutes(zone) * 60_000);
  const read = zone === undefined
    ? [shifted.getFullYear(), shifted.getMonth(), shifted.getDate(), shifted.getHours(), shifted.getMinutes(), shifted.getSeconds()]
    : [shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate(), shifted.getUTCHours(), shifted.getUTCMinutes(), shifted.getUTCSeconds()];
  // A field out of range (month 13, February 30, hour 24) rolls the date over: refused. So are a
  // local time skipped by a daylight-saving change and years 0–99 (which Date takes as 19xx).
  return read.every((value, i) => value === fields[i]) ? date : undefined;
}

function validZone(zone: string): boolean {
  const digits = zone.replace(':', '');
  return zone.toUpperCase() === 'Z' || (Number(digits.slice(1, 3)) < 24 && Number(digits.slice(3) || '0') < 60);
}

/** `Z` → 0, `+05:30` / `+0530` / `+05` → 330, `-08:00` → -480. */
function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return zone.startsWith('-') ? -minutes : minutes;
}

/** Whether `name` is a time zone this process knows (an IANA name such as Europe/Paris, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.trim() !== '';
  } catch {
    return false;
  }
}
