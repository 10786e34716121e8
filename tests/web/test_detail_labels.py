"""Finding details and audit details in Norwegian words, not codes."""

from __future__ import annotations

import pytest

from pipeline.entrypoints.web.detail_labels import audit_text, key, scalar

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


def test_where_a_value_was_found_counts_pages_and_lines_as_the_reading_does():
    from pipeline.entrypoints.web.labels import provenance_text

    assert provenance_text({"kind": "table_cell", "page": 1, "table": 0, "row": 7, "cell": 1}) == \
        "tabellcelle: side 1, tabell 1, rad 8, celle 2"
    assert provenance_text({"kind": "body", "line": 14}) == "e-posttekst: linje 14"
    assert provenance_text({"kind": "ocr", "page": 1, "table": 0, "row": 3, "cell": 1}) == \
        "maskinlest (OCR): side 1, tabell 1, rad 4, celle 2"
