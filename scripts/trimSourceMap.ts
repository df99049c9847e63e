// Drops the sources' text (`sourcesContent`) from a workflow bundle's inline source map and keeps
// its mappings. The Temporal worker parses that map in the main thread, copies it to its workflow
// thread and builds a lookup of it there; the text is read only for the stack trace query when
// `showStackTraceSources` is set, which Meridian never sets, while the mappings still turn a
// workflow's stack trace into .ts files and lines. A worker is ~10 MiB smaller without it.

const INLINE_MAP = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

export function withoutSourcesContent(bundle: string): string {
  const at = bundle.lastIndexOf(INLINE_MAP);
  if (at < 0) throw new Error('workflow bundle: no inline source map to trim (the Temporal worker requires one)');
  const map = JSON.parse(Buffer.from(bundle.slice(at + INLINE_MAP.length).trimEnd(), 'base64').toString('utf8')) as Record<string, unknown>;
  delete map.sourcesContent;
  return `${bundle.slice(0, at)}${INLINE_MAP}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}
