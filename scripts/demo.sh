#!/usr/bin/env bash
# The main job on the embedded default: read the forms in inbox_fixtures/ and show what was read.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e . 2>&1 | grep -v -i "warning" || true
.venv/bin/pipeline parse inbox_fixtures/*.eml
