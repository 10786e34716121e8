"""Check the expected readings of inbox_fixtures/*.expected.json against the reference registry.

For each attachment that reads, the finding codes its case's note names (e.g. "mobile.duplicate")
must be produced, and a case expected to be `queued` must not block (nor `needs_info` pass), when the
form is the message's only one. Skipped while no fixtures exist.
"""

from __future__ import annotations

import json
import re

import pytest

from pipeline.checks import check_reading, reading_from_json
from pipeline.registry import MemoryRegistry
from pipeline.settings import Settings
from tests.conftest import FIXTURES

pytestmark = pytest.mark.pure

CHECK_CODES = re.compile(
    r"(?<![\w.])(?:(?:no|not|without|ingen)\s+)?(field\.missing:[a-z_.]+[a-z]|email\.invalid:[a-z_.]+[a-z]|"
    r"mobile\.(?:invalid|not_mobile|duplicate)|centre\.(?:unknown|ambiguous|inactive|duplicate|admin_limit|"
    r"other_operator)|sender\.unverified)")
# Codes that depend on other messages (open tasks) rather than on the registry alone.
_CONTEXTUAL = {"mobile.duplicate", "centre.admin_limit"}


def _cases() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(FIXTURES.glob("*.expected.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        readable = {name: exp for name, exp in (case.get("attachments") or {}).items()
                    if exp and "error" not in exp and exp.get("applicant")}
        if readable:
            out.append((path.name.removesuffix(".expected.json"), {**case, "readable": readable}))
    return out


CASES = _cases()


def named_codes(note: str) -> set[str]:
    """Codes the note says the form yields; none when it leaves the outcome open ("either ... or")."""
    if re.search(r"\beither\b|the checks decide", note or "", re.IGNORECASE):
        return set()
    return {m.group(1) for m in CHECK_CODES.finditer(note or "") if m.group(0).split()[0] not in ("no", "not", "without", "ingen")}


def test_fixtures_with_forms_exist():
    assert len(CASES) >= 25


@pytest.mark.parametrize(("slug", "case"), CASES, ids=[c[0] for c in CASES])
def test_fixture_reading_findings(memory: MemoryRegistry, slug, case):
    produced: set[str] = set()
    asks = []  # whether the sender is asked (the case starts in needs_info)
    for name, expected in case["readable"].items():
        result = check_reading(reading_from_json(expected, name), memory, sender=case.get("sender"),
                               settings=Settings())
        produced |= {f.code for f in result.findings}
        asks.append(result.needs_sender)
    missing = named_codes(case.get("note", "")) - produced - _CONTEXTUAL
    assert not missing, f"{slug}: note names {sorted(missing)}, check produced {sorted(produced)}"
    if len(case["readable"]) == 1 and len(case.get("attachments") or {}) == 1:
        if case.get("outcome") == "queued":
            assert not asks[0], f"{slug}: expected queued, check asks the sender about {sorted(produced)}"
        elif case.get("outcome") == "needs_info" and named_codes(case.get("note", "")) - _CONTEXTUAL:
            assert asks[0], f"{slug}: expected needs_info, check found only {sorted(produced)}"


# The codes the checks themselves raise (DESIGN.md); form.in_body, form.duplicate and unreadable.scanned
# come from the mail and form layers and are covered by tests/worker and tests/test_fixtures.py.
CHECK_LEVEL = {"field.missing", "email.invalid", "mobile.invalid", "mobile.not_mobile", "mobile.duplicate",
               "centre.unknown", "centre.ambiguous", "centre.inactive", "centre.duplicate", "centre.admin_limit",
               "centre.other_operator", "sender.unverified"}


def test_every_check_code_comes_from_some_fixture(memory: MemoryRegistry):
    produced: set[str] = set()
    for _slug, case in CASES:
        for name, expected in case["readable"].items():
            result = check_reading(reading_from_json(expected, name), memory, sender=case.get("sender"),
                                   settings=Settings())
            produced |= {f.code.split(":", 1)[0] for f in result.findings}
    assert produced >= CHECK_LEVEL, f"no fixture yields {sorted(CHECK_LEVEL - produced)}"
