#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=2 --max-old-space-size=2000 --expose-gc
// The `meridian` command: runs the compiled CLI (build it with `npm run build`). Young-generation
// semi-spaces of 2 MiB (V8's default is 16) keep a long-running worker ~30 MiB smaller; the work
// is in native code and typed arrays, and backups measured no slower with it. An old generation
// capped below 2,048 MB makes V8 collect when a heap has grown to about twice what is live, not
// four times (its factor for larger caps): a worker's peak at 1,000,000 tiles fell by 67–204 MiB.
// A fixed malloc mmap threshold (glibc raises it as large blocks are freed, up to 32 MiB, and
// then keeps such blocks in its arenas long after they are free) gives memory of 256 KiB and more
// back to the system when freed: a worker's peak at 1,000,000 tiles fell by 40 MiB.
// --expose-gc lets an encoder thread collect its heap when a backup ends (core/encoderThread.ts),
// which frees that backup's index before the next one loads its own; nothing else calls `gc`.
// `pg wal-push|wal-fetch` with a wal-daemon socket configured first go through the tiny client
// (node: modules only, no 0.3 s of loading the CLI) and fall back to the CLI when nothing listens.
// On Node 22+ the compiled code of the modules is cached on disk, so a command compiles its
// modules once, not on every run (a no-op on Node 20, and on any failure to use the directory).
const os = require('node:os');
const path = require('node:path');
require('node:module').enableCompileCache?.(path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'meridian', 'compile-cache'));
const args = process.argv.slice(2);
// `pg wal-fetch` is PostgreSQL's restore_command, where exit 1 says "no such WAL file" and ends
// recovery: a crash of it (a module failing to load included) exits 126, which aborts recovery.
if (args[0] === 'pg' && args[1] === 'wal-fetch') {
  process.on('uncaughtException', (err) => {
    process.stderr.write(`meridian: ${String(err instanceof Error ? err.message : err).split('\n')[0]}\n`);
    process.exit(126);
  });
}
const walClient = require('../dist/cli/walClient.js');
const socket = walClient.walSocketOf(args);
if (socket === undefined) require('../dist/cli/main.js').main(args);
else
  walClient.runWalClient(args.slice(1), socket).then((outcome) => {
    if (outcome === 'fallback') require('../dist/cli/main.js').main(args);
    else process.exitCode = outcome;
  });
