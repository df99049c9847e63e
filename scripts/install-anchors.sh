#!/usr/bin/env bash
# Installs the benchmark anchors, restic and BorgBackup, from Debian packages (needs root).
# Only `npm run bench` uses them; the test suite does not.
set -euo pipefail
if command -v restic >/dev/null && command -v borg >/dev/null; then echo "anchors: restic and borg present"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic borgbackup
