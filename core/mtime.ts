// Tree nodes keep mtimes as nanosecond strings; the file APIs that set times take seconds as a
// double (precise to about a microsecond, which is what restore checks a resumed file against).

export function mtimeSeconds(mtimeNs: string): number {
  return Number(BigInt(mtimeNs)) / 1e9;
}
