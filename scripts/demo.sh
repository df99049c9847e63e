#!/usr/bin/env bash
# Quick start demo on the embedded default (no TEMPORAL_ADDRESS): a sample GIS directory is
# backed up, listed, restored, compared and deep-verified through Temporal workflows on a local
# dev server that persists under $MERIDIAN_HOME and stays up for Temporal UI afterwards.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

work="${MERIDIAN_DEMO_DIR:-$(mktemp -d /tmp/meridian-demo-XXXXXX)}"
export MERIDIAN_HOME="${MERIDIAN_HOME:-$work/home}"
export MERIDIAN_PASSWORD="${MERIDIAN_PASSWORD:-demo-passphrase}"
unset TEMPORAL_ADDRESS
meridian() { node bin/meridian.js "$@"; }

echo "demo: writing a 64 MiB sample dataset to $work/sample"
node -e "require('./dist/bench/dataset.js').generateDataset(process.argv[1], 64 * 1024 * 1024)" "$work/sample"

meridian init --repo "$work/repo"
meridian backup "$work/sample" --repo "$work/repo" --tag demo
echo "demo: editing the sample, then an incremental backup"
node -e "require('./dist/bench/dataset.js').editDataset(process.argv[1])" "$work/sample"
meridian backup "$work/sample" --repo "$work/repo" --type incremental --tag demo
meridian snapshots --repo "$work/repo"
meridian restore latest --repo "$work/repo" --target "$work/restored"
diff -r "$work/sample" "$work/restored"
echo "demo: the restored tree is identical to the sample"
meridian verify --repo "$work/repo" --level deep

ui="$(node -e "try { console.log(require(process.argv[1]).uiAddress ?? '') } catch { console.log('') }" "$MERIDIAN_HOME/temporal.json")"
echo "demo: done. Workflows are in Temporal UI at ${ui:-the address in $MERIDIAN_HOME/temporal.json}"
echo "demo: the dev server keeps running; stop it with: kill \$(node -p \"require('$MERIDIAN_HOME/temporal.json').pid\")"
