#!/usr/bin/env bash
# Quick start demo on the embedded default (no Temporal address configured): a sample GIS
# directory is backed up, listed, restored, compared and deep-verified through Temporal workflows
# on a local dev server that persists under $MERIDIAN_HOME and stays up for Temporal UI
# afterwards. Every demo uses the same MERIDIAN_HOME, hence the same dev server (`meridian server
# stop` stops it); setup runs only when something is missing or the build is stale.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
built_fresh() { node -e "process.exit(require('./dist/test/setup/distFreshness.js').staleBuilds('.').length > 0 ? 1 : 0)" 2>/dev/null; }
if [[ ! -x .tools/venv/bin/temporal ]] || ! built_fresh; then
  bash scripts/setup.sh
fi

work="${MERIDIAN_DEMO_DIR:-$(mktemp -d /tmp/meridian-demo-XXXXXX)}"
export MERIDIAN_HOME="${MERIDIAN_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/meridian-demo}"
export MERIDIAN_PASSWORD="${MERIDIAN_PASSWORD:-demo-passphrase}"
# The embedded default, whatever the caller's TEMPORAL_* variables or temporal.toml profile say.
unset $(compgen -e | grep '^TEMPORAL_' || true)
export TEMPORAL_CONFIG_FILE="$work/no-temporal.toml"
meridian() { node bin/meridian.js "$@"; }

mib="${MERIDIAN_DEMO_MIB:-64}"
echo "demo: writing a $mib MiB sample dataset to $work/sample"
node -e "require('./dist/bench/dataset.js').generateDataset(process.argv[1], Number(process.argv[2]) * 1024 * 1024)" "$work/sample" "$mib"

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
echo "demo: the dev server keeps running (the next demo reuses it); stop it with: MERIDIAN_HOME=$MERIDIAN_HOME node bin/meridian.js server stop"
