#!/usr/bin/env bash
# Runs both jest projects the way `npm test` wants them: the unit tests in parallel (one worker
# per core, jest.config.js; they are parallel-safe) and then the integration tests one suite at a time
# (they share one Temporal dev server and the storage servers). Arguments (test path patterns,
# jest options) go to both runs; the second runs even when the first fails, so one CI run shows
# every failure, and the exit status is non-zero when either failed or nothing matched at all.
# Usage: scripts/jest-projects.sh [JEST ARGS...]
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jest="node_modules/.bin/jest"

if [[ -z "$("$jest" --listTests "$@")" ]]; then
  echo "jest-projects: no test matches: $*" >&2
  exit 1
fi

status=0
"$jest" --selectProjects unit --passWithNoTests "$@" || status=1
"$jest" --selectProjects integration --runInBand --passWithNoTests "$@" || status=1
exit "$status"
