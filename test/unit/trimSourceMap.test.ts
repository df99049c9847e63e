// The workflow bundle's inline source map loses the sources' text and keeps what maps a stack
// trace: checked on a bundle made here and on the one `npm run build` wrote.

import fs from 'node:fs';
import path from 'node:path';
import { withoutSourcesContent } from '../../scripts/trimSourceMap';

const INLINE_MAP = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

function inlineMap(bundle: string): Record<string, unknown> {
  const at = bundle.lastIndexOf(INLINE_MAP);
  expect(at).toBeGreaterThan(0);
  return JSON.parse(Buffer.from(bundle.slice(at + INLINE_MAP.length), 'base64').toString('utf8'));
}

test('drops sourcesContent and keeps the code, the mappings and the sources', () => {
  const map = { version: 3, file: 'bundle.js', sources: ['/src/workflows/operations.ts'], sourcesContent: ['export const x = 1;\n'], names: [], mappings: 'AAAA,SAAS' };
  const code = 'var x = 1;\n';
  const trimmed = withoutSourcesContent(`${code}${INLINE_MAP}${Buffer.from(JSON.stringify(map)).toString('base64')}`);
  expect(trimmed.startsWith(code)).toBe(true);
  const { sourcesContent, ...kept } = map;
  expect(sourcesContent).toHaveLength(1);
  expect(inlineMap(trimmed)).toEqual(kept);
});

test('refuses a bundle without an inline source map, which the worker would refuse too', () => {
  expect(() => withoutSourcesContent('var x = 1;\n')).toThrow('no inline source map');
});

test('the built workflow bundle maps to the workflow sources without carrying their text', () => {
  const bundle = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'workflow-bundle.js'), 'utf8');
  const map = inlineMap(bundle);
  expect(map.sourcesContent).toBeUndefined();
  expect(String(map.mappings).length).toBeGreaterThan(10_000);
  expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(/workflows\/operations\.ts$/)]));
});
