#!/usr/bin/env -S node --max-semi-space-size=2
// The `meridian` command: runs the compiled CLI (build it with `npm run build`). Young-generation
// semi-spaces of 2 MiB (V8's default is 16) keep a long-running worker ~30 MiB smaller; the work
// is in native code and typed arrays, and backups measured no slower with it.
// `pg wal-push|wal-fetch` with a wal-daemon socket configured first go through the tiny client
// (node: modules only, no 0.3 s of loading the CLI) and fall back to the CLI when nothing listens.
const args = process.argv.slice(2);
const walClient = require('../dist/cli/walClient.js');
const socket = walClient.walSocketOf(args);
if (socket === undefined) require('../dist/cli/main.js').main(args);
else
  walClient.runWalClient(args.slice(1), socket).then((outcome) => {
    if (outcome === 'fallback') require('../dist/cli/main.js').main(args);
    else process.exitCode = outcome;
  });
