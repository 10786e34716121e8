"""The chosen fuzzy threshold on variants of the reference names (bench/check --centres sweeps it)."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.registry.centre_index import CentreIndex
from tests.checks.centre_variants import evaluate, load_centres, variants

pytestmark = pytest.mark.pure


@pytest.fixture(scope="module")
def measured(reference_dir):  # type: ignore[no-untyped-def]
    centres = load_centres(reference_dir / "registry" / "centres.csv")
    return evaluate(CentreIndex(centres), list(variants(centres)))


def test_never_resolves_to_the_wrong_centre(measured):
    assert sum(c["wrong"] for c in measured.values()) == 0, {k: v for k, v in measured.items() if v["wrong"]}


def test_every_clean_variant_resolves(measured):
    clean = {k: v for k, v in measured.items() if not k.startswith("typo") and k != "not a centre"}
    assert all(v["correct"] == v.total() - v["asked, right one suggested"] for v in clean.values())
    assert all(set(v) <= {"correct"} for v in clean.values()), clean


def test_most_typos_resolve_and_the_rest_are_asked_with_the_right_suggestion(measured):
    typos = sum((v for k, v in measured.items() if k.startswith("typo")), Counter())
    asked = typos["ambiguous"] + typos["unknown"]
    assert typos["correct"] / (typos["correct"] + asked) >= 0.85
    assert typos["asked, right one suggested"] >= 0.9 * asked


def test_places_that_are_not_centres_are_unknown(measured):
    assert measured["not a centre"]["correct"] == measured["not a centre"].total()
