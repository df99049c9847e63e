// Entry point of the `meridian` command (bin/meridian.js): picks the command, loads only its
// module, and turns any error into one `meridian: …` line on stderr and the exit code.

import { classifyError, EXIT, ExitCode, usageError } from './exitCodes.js';
import { CommandName, fullUsage, isCommandName, USAGE } from './usage.js';

interface CommandModule {
  run(args: string[]): Promise<ExitCode>;
}

const COMMANDS: Record<CommandName, () => Promise<CommandModule>> = {
  init: () => import('./commands/init.js'),
  backup: () => import('./commands/backup.js'),
  snapshots: () => import('./commands/snapshots.js'),
  restore: () => import('./commands/restore.js'),
  verify: () => import('./commands/verify.js'),
  repair: () => import('./commands/repair.js'),
  key: () => import('./commands/key.js'),
  worker: () => import('./commands/worker.js'),
  server: () => import('./commands/server.js'),
};

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

export async function main(argv: string[]): Promise<void> {
  try {
    process.exitCode = await run(argv);
  } catch (err) {
    const { exitCode, message } = classifyError(err);
    process.stderr.write(`meridian: ${message}\n`);
    process.exitCode = exitCode;
  }
}

async function run(argv: string[]): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (name === undefined || isHelp(name) || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${fullUsage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!isCommandName(name)) throw usageError(`unknown command '${name}'; see 'meridian --help'`);
  const beforeSeparator = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (beforeSeparator.some(isHelp)) {
    process.stdout.write(`Usage: ${USAGE[name]}\n`);
    return EXIT.ok;
  }
  return (await COMMANDS[name]()).run(args);
}
