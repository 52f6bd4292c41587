#!/usr/bin/env bash
# Install the Debian packages the project needs (Pango for WeasyPrint's PDF,
# Chromium for the page tests, poppler for PDF checks, GDAL's ogrinfo and qpdf
# for the format validators, PostGIS for the service's spatial store), only when
# missing. Arguments, if any, replace the list. Another apt or dpkg (unattended
# upgrades, a parallel set-up) may hold apt's locks: wait for them up to
# APT_LOCK_WAIT_S seconds (600).
set -euo pipefail
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium
    poppler-utils gdal-bin qpdf postgresql-15-postgis-3)
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (run as root or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
wait_s="${APT_LOCK_WAIT_S:-600}"
echo "installing system packages: ${need[*]}"
# `apt-get update` fails at once on a held lists lock (DPkg::Lock::Timeout covers
# only dpkg's locks), so it is retried while the error is the lock.
deadline=$((SECONDS + wait_s))
err=$(mktemp)
trap 'rm -f "$err"' EXIT
until apt-get -qq update 2>"$err"; do
  if grep -q "Could not get lock" "$err" && [ "$SECONDS" -lt "$deadline" ]; then
    sleep 2
  else
    cat "$err" >&2
    exit 1
  fi
done
DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=${wait_s}" -qq install -y \
  --no-install-recommends "${need[@]}" >/dev/null
