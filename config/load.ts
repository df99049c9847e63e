// Reading `meridian.yaml`: where it is (`--config FILE`, else MERIDIAN_CONFIG, else
// `$MERIDIAN_HOME/meridian.yaml`), parsing its YAML and validating it against config/schema.ts.
// Every error is one line naming the file, the line and the key path.

import fs from 'node:fs';
import path from 'node:path';
import { Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { RepositoryError } from '../core/errors.js';
import { meridianHome } from '../worker/workerConfig.js';
import { MeridianConfig, MeridianConfigSchema } from './schema.js';

/** The configuration file this process uses: the flag's, else MERIDIAN_CONFIG, else $MERIDIAN_HOME/meridian.yaml. */
export function configFilePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.MERIDIAN_CONFIG ?? path.join(meridianHome(env), 'meridian.yaml'));
}

/** A configuration error: one line, `FILE:LINE: key.path: what is wrong`; the CLI exits 2 on it. */
export function configError(file: string, line: number | undefined, keyPath: readonly PropertyKey[], message: string): RepositoryError {
  const where = line === undefined ? file : `${file}:${line}`;
  const key = keyPath.length > 0 ? `${keyPath.map(String).join('.')}: ` : '';
  return new RepositoryError('invalid-argument', `${where}: ${key}${message}`);
}

/** Parses and validates the text of a configuration file (`file` names it in errors). */
export function parseConfig(text: string, file: string): MeridianConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const syntax = document.errors[0];
  if (syntax) throw configError(file, lineOf(syntax.pos[0]), [], syntax.message.split('\n')[0]!);
  const parsed = MeridianConfigSchema.safeParse(document.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // Unknown keys are reported on their parent; point at the key itself.
  const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  throw configError(file, lineOfPath(document, keyPath, lineOf), keyPath, issue.message);
}

/** Reads and validates the configuration file; `undefined` when it does not exist and was not asked for by name. */
export function loadConfig(flag?: string, env: NodeJS.ProcessEnv = process.env): { file: string; config: MeridianConfig } | undefined {
  const file = configFilePath(flag, env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && flag === undefined && env.MERIDIAN_CONFIG === undefined) return undefined;
    throw new RepositoryError('invalid-argument', `cannot read configuration file ${file}: ${code ?? 'error'}`);
  }
  return { file, config: parseConfig(text, file) };
}

/** The line of the deepest node of `keyPath` that exists: a mapping key's own line, a sequence item's line. */
function lineOfPath(document: Document, keyPath: readonly PropertyKey[], lineOf: (offset: number) => number): number | undefined {
  let node: unknown = document.contents;
  let line = isNode(node) && node.range ? lineOf(node.range[0]) : undefined;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(key));
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) line = lineOf(pair.key.range[0]);
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      if (isNode(node) && node.range) line = lineOf(node.range[0]);
    } else {
      break;
    }
  }
  return line;
}
