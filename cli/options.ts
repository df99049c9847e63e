// One description per command-line option, read both by the parser (cli/args.ts: type, short
// name, repetition, the environment variable standing in for it) and by `meridian help COMMAND`
// (value, meaning, default, environment), so the two cannot drift; plus the options many commands
// share and the rendering of usage lines and option help from these descriptions.

export interface OptionDescription {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value as usage shows it (URL, N, full|incremental); none for a flag. */
  readonly value?: string;
  /** Shown without brackets in the usage line. */
  readonly required?: boolean;
  /** What the option does, one short clause. */
  readonly summary: string;
  /** What applies when neither the option nor its environment variable is given. */
  readonly defaultValue?: string;
  /** The environment variable the parser takes the value from when the option is not given. */
  readonly env?: string;
  /** Environment read in place of the option by the code that uses it (shown by help only). */
  readonly otherEnv?: string;
}

export type OptionDescriptions = Readonly<Record<string, OptionDescription>>;

export const HELP_OPTION = { help: { type: 'boolean', short: 'h', summary: 'print this help and exit' } } as const satisfies OptionDescriptions;

export const QUIET_OPTION = {
  quiet: { type: 'boolean', short: 'q', summary: 'no progress line and no notices on stderr (errors and warnings are still printed)' },
} as const satisfies OptionDescriptions;

export const JSON_OPTION = {
  json: {
    type: 'boolean',
    summary: 'print the result as one JSON document on stdout, and an error as one JSON object {"error": {code, message, exitCode}} on stderr',
  },
} as const satisfies OptionDescriptions;

export const PASSWORD_FILE_OPTION = {
  'password-file': {
    type: 'string',
    value: 'FILE',
    summary:
      "a file holding the repository's passphrase (never on the command line); without it, the passwordFile or passwordEnv of the repository in meridian.yaml, or its entry in $MERIDIAN_HOME/repositories.json, else the environment",
    otherEnv: 'MERIDIAN_PASSWORD_FILE, or MERIDIAN_PASSWORD holding the passphrase itself',
  },
} as const satisfies OptionDescriptions;

/** Taken by every command that opens a repository (with --password-file). */
export const REPOSITORY_OPTION = {
  repo: {
    type: 'string',
    value: 'URL',
    required: true,
    summary:
      'the repository: a path, file://, s3://, gs:// or azure:// URL (a relative path is taken from the working directory), or a NAME from the repositories of meridian.yaml (--config) or $MERIDIAN_HOME/repositories.json',
    env: 'MERIDIAN_REPOSITORY',
  },
} as const satisfies OptionDescriptions;

/** The configuration file naming repositories (and sources, policies, schedules); config/load.ts reads it. */
export const CONFIG_OPTION = {
  config: {
    type: 'string',
    value: 'FILE',
    summary: 'the configuration file meridian.yaml, whose repositories --repo NAME refers to',
    defaultValue: '$MERIDIAN_HOME/meridian.yaml',
    env: 'MERIDIAN_CONFIG',
  },
} as const satisfies OptionDescriptions;

/** `--name VALUE`, or `-q` for a flag with a short name. */
function optionToken(name: string, option: OptionDescription): string {
  if (option.value !== undefined) return `--${name} ${option.value}`;
  return option.short !== undefined ? `-${option.short}` : `--${name}`;
}

/** The options of a usage line: required ones bare, others in brackets, repeatable ones with `...`. */
export function usageOptions(options: OptionDescriptions): string[] {
  return Object.entries(options)
    .filter(([name]) => name !== 'help')
    .map(([name, option]) => {
      const token = optionToken(name, option);
      return `${option.required ? token : `[${token}]`}${option.multiple ? '...' : ''}`;
    });
}

const HELP_INDENT = 26;
export const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** One entry per option: its spelling, then what it does, its default and its environment. */
export function optionHelp(options: OptionDescriptions): string[] {
  return Object.entries(options).flatMap(([name, option]) => {
    const spelling = `${option.short !== undefined ? `-${option.short}, ` : ''}--${name}${option.value !== undefined ? ` ${option.value}` : ''}`;
    const details = [
      option.summary + (option.multiple ? ' (may be repeated)' : ''),
      ...(option.defaultValue !== undefined ? [`default: ${option.defaultValue}`] : []),
      ...(option.env !== undefined ? [`environment: ${option.env}`] : []),
      ...(option.otherEnv !== undefined ? [`environment: ${option.otherEnv}`] : []),
    ].flatMap((line) => wrap(line, HELP_WIDTH - HELP_INDENT));
    const first = `  ${spelling}`;
    const pad = ' '.repeat(HELP_INDENT);
    return first.length < HELP_INDENT - 1
      ? [`${first.padEnd(HELP_INDENT)}${details[0]}`, ...details.slice(1).map((line) => pad + line)]
      : [first, ...details.map((line) => pad + line)];
  });
}
