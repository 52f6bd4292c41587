#!/usr/bin/env bash
# A real TAK server for the live tests: FreeTAKServer 2.2.1 from PyPI in its own
# virtual environment (its pins clash with ours). Idempotent: does nothing when
# the venv is complete. Pins and quirks: docs/live.md, "TAK".
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
VENV="${TAK_VENV:-.tak-venv}"
STAMP="$VENV/.installed-2.2.1"
if [ -f "$STAMP" ]; then exit 0; fi
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# newer OpenTelemetry crashes its CoT services ("property 'span_exporter' ... has no setter")
"$VENV/bin/pip" install --quiet 'FreeTAKServer==2.2.1' \
    'opentelemetry-sdk==1.24.0' 'opentelemetry-api==1.24.0'
touch "$STAMP"
