#!/usr/bin/env bash
# The main job on the embedded default: take in the mails in inbox_fixtures/ (a folder inbox), read and check
# each form against the reference registry (Word, PDF, and scans or photos by OCR), open tasks, write the
# reply e-mails to var/outbox/, and show it all. Installs Tesseract's models from Debian when they are missing.
# SQLite and every file live under ./var (PIPELINE_DATA_DIR); running it again takes nothing twice and
# mails nothing (the access reviews are started once).
# PIPELINE_DEMO_PYTHON: an interpreter that already has the dependencies (the tests' own); the pipeline is then
# run from this checkout with it, and nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

registry=${PIPELINE_REGISTRY_DIR:-reference/registry}
# The fixtures carry the verdict of IMDi's receiving host as mx.imdi.no writes it (Authentication-Results):
# trust it here, as PIPELINE_AUTHSERV_ID would be set for the real mailbox (README: "Who sent it").
export PIPELINE_AUTHSERV_ID=${PIPELINE_AUTHSERV_ID:-mx.imdi.no}
if [ ! -f "$registry/centres.csv" ]; then
  echo "The reference registry is not at $registry (set PIPELINE_REGISTRY_DIR to its folder)." >&2
  exit 2
fi

# Scans and photos of the form (inbox_fixtures/scan-*, photo-*) are read by OCR: Tesseract's models for
# Norwegian, the Latin script (also "@" and letters such as ś and č), English (the fallback for "@") and
# orientation detection. The Python binding brings Tesseract itself; Debian brings the models.
need=()
for pkg in tesseract-ocr tesseract-ocr-nor tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-script-latn; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (OCR of scanned forms)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -n "${PIPELINE_DEMO_PYTHON:-}" ]; then
  pipeline="$PIPELINE_DEMO_PYTHON -m pipeline"
else
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/pip install -q -e . 2>/dev/null || .venv/bin/pip install -e .
  pipeline=.venv/bin/pipeline
fi

echo "== registeret"
$pipeline registry import --operators "$registry/operators.csv" --centres "$registry/centres.csv" \
  --users "$registry/users.csv"
echo
echo "== tilgangsgjennomganger: svarene i inbox_fixtures/access-review-* gjelder 2026-G001..G003"
if [ "$($pipeline review list --json)" = "[]" ]; then
  $pipeline review start --operator DRO1014 --operator DRO1048 --operator DRO1032
else
  echo "Allerede startet ved en tidligere kjøring: ingen nye sendes."
fi
echo
echo "== worker: tar inn inbox_fixtures/ og legger svarene i utboksen"
$pipeline worker --once --source dir:inbox_fixtures
echo
echo "== status"
$pipeline status || true  # 1: something needs a look (shown above); the demo goes on
echo
echo "== meldinger"
$pipeline messages list
echo
echo "== saker"
$pipeline queue list
echo
echo "== tilgangsgjennomganger"
$pipeline review list
data=${PIPELINE_DATA_DIR:-var}
cat <<EOT

Svarene ligger i $data/outbox/ (én .eml per svar; åpne en i et e-postprogram, eller les teksten med:
  $pipeline replies show 3
Videre: $pipeline queue show 2026-0003, eller nettgrensesnittet:
  $pipeline operators add ola && PIPELINE_WEB_COOKIE_SECURE=0 $pipeline serve   # så http://127.0.0.1:8000
(PIPELINE_WEB_COOKIE_SECURE=0: innloggingen kan da gå over vanlig HTTP, som bare er for denne maskinens
loopback; bak HTTPS-proxyen skal den stå som den er.)
EOT
