#!/usr/bin/env bash
# Builds the native addon native/fsmeta against the headers of the Node that runs the build, named
# explicitly: left to itself node-gyp would try to download headers, which an offline machine cannot.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
nodedir="$(node -p 'require("node:path").resolve(process.execPath, "..", "..")')"
if [[ ! -f "$nodedir/include/node/node_api.h" ]]; then
  echo "build: no Node headers under $nodedir/include/node (install Node's development headers)" >&2
  exit 1
fi
node-gyp rebuild --directory native/fsmeta --nodedir="$nodedir" --silent
