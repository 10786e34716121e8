#!/usr/bin/env bash
# The main job on the embedded default: take in the mails in inbox_fixtures/ (a folder inbox), read and check
# each form against the reference registry (Word, PDF, and scans or photos by OCR), open tasks, write the
# reply e-mails to var/outbox/, and show it all. Installs Tesseract's models from Debian when they are missing.
# SQLite and every file live under ./var (PIPELINE_DATA_DIR); running it again takes nothing twice.
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

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/pip install -q -e . 2>/dev/null || .venv/bin/pip install -e .
pipeline=.venv/bin/pipeline

echo "== registry"
$pipeline registry import --operators "$registry/operators.csv" --centres "$registry/centres.csv" \
  --users "$registry/users.csv"
echo
echo "== access reviews: the fixtures' answers (inbox_fixtures/access-review-*) name 2026-G001..G003"
$pipeline review start --operator DRO1014 --operator DRO1048 --operator DRO1032
echo
echo "== worker: take in inbox_fixtures/ and send the replies to the outbox folder"
$pipeline worker --once --source dir:inbox_fixtures
echo
echo "== status"
$pipeline status
echo
echo "== messages"
$pipeline messages list
echo
echo "== the queue"
$pipeline queue list
echo
echo "== access reviews"
$pipeline review list
data=${PIPELINE_DATA_DIR:-var}
cat <<EOT

Reply e-mails are in $data/outbox/ (one .eml each; open one in a mail program, or: less $data/outbox/3.eml).
Next: .venv/bin/pipeline queue show 2026-0003, or the web UI:
  .venv/bin/pipeline operators add ola && PIPELINE_WEB_COOKIE_SECURE=0 .venv/bin/pipeline serve   # then http://127.0.0.1:8000
(PIPELINE_WEB_COOKIE_SECURE=0: the session cookie may then go over plain HTTP, which is only for this
machine's loopback; behind the HTTPS proxy leave it at its default.)
EOT
