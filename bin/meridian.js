#!/usr/bin/env -S node --max-semi-space-size=2
// The `meridian` command: runs the compiled CLI (build it with `npm run build`). Young-generation
// semi-spaces of 2 MiB (V8's default is 16) keep a long-running worker ~30 MiB smaller; the work
// is in native code and typed arrays, and backups measured no slower with it.
require('../dist/cli/main.js').main(process.argv.slice(2));
