#!/usr/bin/env bash
# Installs the Debian packages the tests drive (needs root): headless Chromium for the dashboard's
# browser test (puppeteer-core is pointed at /usr/bin/chromium), promtool (package `prometheus`)
# for the /metrics exposition check, PostgreSQL 15 with PostGIS 3 for point-in-time recovery of
# databases, and pgBackRest 2.45, the anchor of the PostgreSQL benchmark.
set -euo pipefail
PACKAGES=(chromium prometheus postgresql-15 postgresql-15-postgis-3 pgbackrest)
present() { command -v chromium >/dev/null && command -v promtool >/dev/null && command -v pgbackrest >/dev/null &&
  [[ -x /usr/lib/postgresql/15/bin/postgres && -f /usr/share/postgresql/15/extension/postgis.control ]]; }
if present; then echo "test tools: chromium, promtool, PostgreSQL 15 + PostGIS 3 and pgBackRest present"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
