#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with Python 3.11: installs what the tests need
# (Dovecot, PostgreSQL, Chromium, Tesseract from Debian; the Python packages in .venv), then runs ruff, mypy
# and one pytest run in which every test that asks for a database runs on SQLite and on a throwaway
# PostgreSQL cluster on 127.0.0.1 (tests/conftest.py says which tests run on one database only).
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

logs=$(mktemp -d /tmp/pipeline-test.XXXXXX)
pgdir=$(mktemp -d /tmp/pipeline-pg.XXXXXX)  # its own: as root the cluster runs as 'postgres', who owns it
cleanup() {
  pg_tmp_stop "$pgdir" 2>/dev/null || rm -rf "$pgdir"
  rm -rf "$logs"
}
trap cleanup EXIT

# The Python packages, while the PostgreSQL cluster starts. pip runs again only when what it installs from
# changed (the project's metadata, the interpreter): the install is editable, so the code itself is live.
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=$(cat pyproject.toml setup.py <(python3 -VV) | sha256sum | cut -d' ' -f1)
pip_pid=""
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
  (.venv/bin/pip install -q -e '.[test]' && echo "$stamp" >.venv/.installed) >"$logs/pip.log" 2>&1 &
  pip_pid=$!
fi
# shellcheck source=/dev/null
source scripts/pg_tmp.sh
pg_tmp_start "$pgdir"
if [ -n "$pip_pid" ] && ! wait "$pip_pid"; then
  cat "$logs/pip.log" >&2; exit 1
fi
.venv/bin/pipeline --help >/dev/null

# ruff and mypy beside the tests (at a lower priority: they fill the moments the tests wait on servers),
# their verdicts printed after the tests'.
(nice .venv/bin/ruff check . && nice .venv/bin/mypy) >"$logs/lint.log" 2>&1 &
lint_pid=$!

# One run, two processes per core: a test process waits much of its time on a server (PostgreSQL, Dovecot,
# Chromium, a `pipeline` it started), and the second fills that time (on 2 cores: 4 processes). A file's
# tests on one database stay together (they share its servers and module fixtures), the longest files first
# (tests/conftest.py LONG_FILES).
echo "== pytest on SQLite and PostgreSQL"
status=0
PIPELINE_TEST_DATABASE_URL="$PG_TMP_URL" .venv/bin/pytest -q -n "$(( $(nproc) * 2 ))" --dist loadgroup \
  --databases sqlite,postgresql "$@" || status=$?

echo "== ruff and mypy"
wait "$lint_pid" || status=1
cat "$logs/lint.log"
exit "$status"
