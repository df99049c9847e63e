#!/usr/bin/env bash
# CI only: gives the test suites that failed in a jest run's log one second run (each project's
# failed suites in one jest run, under the same Node.js line) and names them either way. A suite
# that passes its second run is printed as "FLAKY ...", which .ci/run's summary shows, so one
# intermittent failure under the load of CI's two halves side by side neither hides nor fails the
# run; a suite that fails twice fails it. A build, lint or typecheck failure (no FAIL line in the
# log) is never run again.
# Usage: scripts/ci-rerun-failed.sh JEST_LOG [COMMAND PREFIX...]   e.g. ... log bash scripts/with-node.sh 24
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
log="${1:?usage: scripts/ci-rerun-failed.sh JEST_LOG [COMMAND PREFIX...]}"
shift

failed="$(grep -E '^FAIL (unit|integration) ' "$log" | awk '{ print $2, $3 }' | sort -u)"
if [[ -z $failed ]]; then
  echo "ci-rerun: no failed test suite in the log (a build, lint or setup failure): nothing to run again"
  exit 1
fi

status=0
for project in unit integration; do
  mapfile -t files < <(awk -v project="$project" '$1 == project { print $2 }' <<<"$failed")
  [[ ${#files[@]} -eq 0 ]] && continue
  mode=--runInBand
  [[ $project == unit ]] && mode=--maxWorkers=1
  echo "ci-rerun: running again the $project suites that failed: ${files[*]}"
  if "$@" node_modules/.bin/jest --selectProjects "$project" "$mode" --runTestsByPath "${files[@]}" </dev/null; then
    for file in "${files[@]}"; do echo "FLAKY $project $file: failed, then passed on its second run"; done
  else
    echo "ci-rerun: the $project suites failed again: ${files[*]}"
    status=1
  fi
done
exit "$status"
