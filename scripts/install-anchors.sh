#!/usr/bin/env bash
# Installs the benchmark anchors, restic and BorgBackup, from Debian packages (needs root).
# `npm run bench` compares against both; the test suite uses restic (Debian 12's 0.14) as the
# oracle of the retention policies.
set -euo pipefail
if command -v restic >/dev/null && command -v borg >/dev/null; then echo "anchors: restic and borg present"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic borgbackup
