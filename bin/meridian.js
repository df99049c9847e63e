#!/usr/bin/env node
// The `meridian` command: runs the compiled CLI (build it with `npm run build`).
require('../dist/cli/main.js').main(process.argv.slice(2));
