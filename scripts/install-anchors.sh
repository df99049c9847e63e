#!/usr/bin/env bash
# Installs the benchmark anchors, restic, BorgBackup and rclone, from Debian packages (needs root).
# `npm run bench` compares against restic and borg, and its replication scenario against
# `rclone sync` and `restic copy`; the test suite uses restic (Debian 12's 0.14) as the oracle of
# the retention policies.
set -euo pipefail
if command -v restic >/dev/null && command -v borg >/dev/null && command -v rclone >/dev/null; then echo "anchors: restic, borg and rclone present"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic borgbackup rclone
