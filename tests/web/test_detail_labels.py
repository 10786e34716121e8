"""Finding details and audit details in Norwegian words, not codes."""

from __future__ import annotations

import pytest

from pipeline.web.detail_labels import audit_text, key, scalar

pytestmark = pytest.mark.pure


def test_finding_detail_codes_become_words():
    assert key("e164") == "Nummer" and key("holder") == "Registrert på"
    assert scalar("kind", "registry") == "bruker i registeret"
    assert scalar("how", "fuzzy") == "lignende navn"
    assert scalar("index", 0) == "1"  # people count from 1
    assert scalar("anything", True) == "ja" and scalar("anything", None) == "–"
    assert key("brand_new_key") == "brand_new_key"  # unknown keys still show


def test_audit_details_on_one_line():
    text = audit_text({"state": {"before": "new", "after": "needs_info"}, "message": 3,
                       "findings": ["centre.ambiguous"], "automatic": True, "skipped": None})
    # Status, not "tilstand"; ids and codes are for "Tekniske detaljer", not for the operator's line.
    assert text == "Status: ny → Mangler opplysninger; Funn: uklart mottak"
    assert audit_text({"outcome": "no_form", "attempts": 2}) == "Utfall: Uten skjema; Forsøk: 2"
    assert audit_text(None) == ""
