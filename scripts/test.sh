#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with Python 3.11: installs what the tests need
# (Dovecot, PostgreSQL, Chromium from Debian; the Python packages in .venv), then runs ruff and pytest
# on SQLite, and pytest again against a throwaway PostgreSQL cluster on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# Tesseract's models for OCR: Norwegian, the Latin script (also "@" and letters such as ś and č),
# English (the fallback for "@") and orientation detection; the tesseract CLI for bench/ocr.
for pkg in dovecot-imapd postgresql chromium python3-venv tesseract-ocr tesseract-ocr-nor tesseract-ocr-eng tesseract-ocr-osd \
    tesseract-ocr-script-latn; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's packages start system services we do not use; the tests start their own on loopback.
for svc in dovecot postgresql; do
  (command -v systemctl >/dev/null && systemctl stop "$svc" 2>/dev/null) || service "$svc" stop >/dev/null 2>&1 || true
done

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/pip install -q -e '.[test]'

.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pipeline --help >/dev/null

# Tests run in parallel, one process per core (a file's tests stay together: they share its servers).
jobs=(-n auto --dist loadfile)

echo "== pytest on SQLite"
.venv/bin/pytest -q "${jobs[@]}" "$@"

echo "== pytest on PostgreSQL"
pgdir=$(mktemp -d /tmp/pipeline-pg.XXXXXX)
# shellcheck source=/dev/null
source scripts/pg_tmp.sh
pg_tmp_start "$pgdir"
trap 'pg_tmp_stop "$pgdir"' EXIT
PIPELINE_TEST_DATABASE_URL="$PG_TMP_URL" .venv/bin/pytest -q "${jobs[@]}" -m "not pure" "$@"
