// Entry point of the `meridian` command (bin/meridian.js): picks the command, loads only its
// module, answers --version and help, and turns any error into one `meridian: …` line on stderr
// (one JSON object with --json) and the exit code.

import { parseArgs } from 'node:util';
import { classifyError, EXIT, ExitCode, usageError } from './exitCodes.js';
import { printError, setOutputMode } from './output.js';
import { CommandName, commandHelp, COMMANDS, fullUsage, isCommandName } from './usage.js';
import { packageVersion } from './version.js';

interface CommandModule {
  run(args: string[]): Promise<ExitCode>;
}

const COMMAND_MODULES: Record<CommandName, () => Promise<CommandModule>> = {
  init: () => import('./commands/init.js'),
  backup: () => import('./commands/backup.js'),
  snapshots: () => import('./commands/snapshots.js'),
  restore: () => import('./commands/restore.js'),
  pg: () => import('./commands/pg.js'),
  verify: () => import('./commands/verify.js'),
  forget: () => import('./commands/forget.js'),
  unlock: () => import('./commands/unlock.js'),
  prune: () => import('./commands/prune.js'),
  repair: () => import('./commands/repair.js'),
  apply: () => import('./commands/apply.js'),
  key: () => import('./commands/key.js'),
  alerts: () => import('./commands/alerts.js'),
  immutable: () => import('./commands/immutable.js'),
  schedule: () => import('./commands/schedule.js'),
  replication: () => import('./commands/replication.js'),
  failover: () => import('./commands/failover.js'),
  runbook: () => import('./commands/runbook.js'),
  sla: () => import('./commands/sla.js'),
  journal: () => import('./commands/journal.js'),
  worker: () => import('./commands/worker.js'),
  server: () => import('./commands/server.js'),
};

export async function main(argv: string[]): Promise<void> {
  try {
    process.exitCode = await run(argv);
  } catch (err) {
    const error = classifyError(err);
    // `pg wal-fetch` exits 1 only for a WAL file not archived (recovery ends there): any error aborts recovery instead.
    const exitCode = argv[0] === 'pg' && argv[1] === 'wal-fetch' ? EXIT.walFetchFailed : error.exitCode;
    printError({ ...error, exitCode });
    process.exitCode = exitCode;
  }
}

async function run(argv: string[]): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`meridian ${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (name === 'help' && args.length > 0) return help(args);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${fullUsage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!isCommandName(name)) {
    setOutputMode(false, args.includes('--json')); // no options to read this by: taken at its word
    throw usageError(`unknown command '${name}'; see 'meridian --help'`);
  }
  const flags = outputFlags(name, args);
  setOutputMode(flags.quiet, flags.json);
  if (flags.help) {
    process.stdout.write(`${commandHelp(name)}\n`);
    return EXIT.ok;
  }
  return (await COMMAND_MODULES[name]()).run(args);
}

/** `meridian help COMMAND`. */
function help([name, ...rest]: string[]): ExitCode {
  if (!isCommandName(name!)) throw usageError(`unknown command '${name}'; see 'meridian --help'`);
  if (rest.length > 0) throw usageError(`help takes one command (got '${rest.join(' ')}')`);
  process.stdout.write(`${commandHelp(name)}\n`);
  return EXIT.ok;
}

/**
 * --help, --json and -q as the command's parser will see them, read leniently before it runs: so
 * that a usage error of a `--json` run is JSON too, and `COMMAND --help` needs no valid command line.
 */
function outputFlags(name: CommandName, args: string[]): { help: boolean; json: boolean; quiet: boolean } {
  const { values } = parseArgs({ args, options: COMMANDS[name].options, strict: false, allowPositionals: true });
  const flag = (key: string) => (values as Record<string, unknown>)[key] === true;
  return { help: flag('help'), json: flag('json'), quiet: flag('quiet') };
}
