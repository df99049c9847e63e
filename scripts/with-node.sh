#!/usr/bin/env bash
# Runs a command under another supported Node.js line (22 or 24), installed by scripts/setup.sh into
# .tools/node<MAJOR>: its `node` comes first on PATH, so npm, jest and every spawned `node` use it.
# Usage: scripts/with-node.sh 24 npm test
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
major="${1:?usage: scripts/with-node.sh MAJOR COMMAND...}"
shift
bin="$PWD/.tools/node$major/node_modules/.bin"
if [[ ! -x "$bin/node" ]]; then
  echo "with-node: Node.js $major is not installed under .tools/node$major (run npm run setup)" >&2
  exit 1
fi
export PATH="$bin:$PATH"
echo "with-node: $(node --version)"
exec "$@"
