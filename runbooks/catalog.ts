// Where runbooks come from, in order: meridian.yaml's `runbooks:`, then one `<name>.yaml` per
// runbook in the runbooks directory (MERIDIAN_RUNBOOKS_DIR, else $MERIDIAN_HOME/runbooks; a name in
// both is an error), then the built-in templates (runbooks/templates/), which either of the others
// may shadow. Every runbook is validated by RunbookSchema; a file's errors name the file and the key.

import fs from 'node:fs';
import path from 'node:path';
import type * as Yaml from 'yaml';
import { invalidArgument, RepositoryError } from '../core/errors.js';
import { meridianHome } from '../config/home.js';
import { configError } from '../config/load.js';
import { Runbook, RunbookSchema } from '../config/runbookSchema.js';
import type { ResolvedRunbook } from '../workflows/runbookDefs.js';
import { RUNBOOK_TEMPLATES } from './templates/index.js';

/** What holds meridian.yaml's runbooks: its parsed configuration, or a worker's. */
export interface RunbookSources {
  runbooks?: Record<string, Runbook>;
}

export interface RunbookListing {
  name: string;
  origin: ResolvedRunbook['origin'];
  description: string;
  /** The runbooks-directory file, for origin 'file'. */
  file?: string;
  /** A config or file runbook of a built-in template's name: the template is not used. */
  shadowsTemplate: boolean;
}

const RUNBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function runbooksDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MERIDIAN_RUNBOOKS_DIR || path.join(meridianHome(env), 'runbooks'));
}

/** Every runbook this configuration can run, by name. */
export function listRunbooks(config: RunbookSources | undefined, env: NodeJS.ProcessEnv = process.env): RunbookListing[] {
  const directory = runbooksDirectory(env);
  const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter((entry) => entry.endsWith('.yaml')).map((entry) => entry.slice(0, -'.yaml'.length)) : [];
  const names = new Set([...Object.keys(config?.runbooks ?? {}), ...files.filter((name) => RUNBOOK_NAME.test(name)), ...Object.keys(RUNBOOK_TEMPLATES)]);
  return [...names].sort().map((name) => {
    const resolved = resolveRunbook(config, name, env);
    return {
      name,
      origin: resolved.origin,
      description: resolved.runbook.description,
      ...(resolved.origin === 'file' ? { file: runbookFile(directory, name) } : {}),
      shadowsTemplate: resolved.origin !== 'template' && name in RUNBOOK_TEMPLATES,
    };
  });
}

/** The runbook `name`; not-found when no source has it, invalid-argument when it is defined twice or malformed. */
export function resolveRunbook(config: RunbookSources | undefined, name: string, env: NodeJS.ProcessEnv = process.env): ResolvedRunbook {
  if (!RUNBOOK_NAME.test(name)) throw invalidArgument(`"${name}" is not a runbook name (letters, digits, ".", "_" and "-")`);
  const file = runbookFile(runbooksDirectory(env), name);
  const inFile = fs.existsSync(file);
  const configured = config?.runbooks?.[name];
  if (configured && inFile) throw invalidArgument(`runbook "${name}" is defined both in meridian.yaml's runbooks and in ${file}: keep one`);
  if (configured) return { name, origin: 'config', runbook: configured };
  if (inFile) return { name, origin: 'file', runbook: readRunbookFile(file) };
  const template = RUNBOOK_TEMPLATES[name];
  if (template) return { name, origin: 'template', runbook: RunbookSchema.parse(template) };
  throw new RepositoryError('not-found', `no runbook "${name}": not in meridian.yaml's runbooks, not in ${runbooksDirectory(env)}, not a built-in template (${Object.keys(RUNBOOK_TEMPLATES).join(', ')})`);
}

function runbookFile(directory: string, name: string): string {
  return path.join(directory, `${name}.yaml`);
}

/** The YAML parser, loaded on first use: a worker that reads no runbook file does not hold it (~8 MiB alone). */
function yamlParser(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load: import() would make readRunbookFile and its callers async
  return require('yaml') as typeof Yaml;
}

/** A runbook file, validated; errors say `FILE: key.path: what is wrong`. */
function readRunbookFile(file: string): Runbook {
  const document = yamlParser().parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax) throw configError(file, undefined, [], syntax.message.split('\n')[0]!);
  const parsed = RunbookSchema.safeParse(document.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  throw configError(file, undefined, keyPath, issue.message);
}
