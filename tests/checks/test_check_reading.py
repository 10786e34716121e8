"""check_reading against the reference registry: every finding code, asserted with its texts.

The registry here is the in-memory one (no database): tests/registry/test_lookup_contract.py holds the
SQL look-ups to the same answers, and tests/queue and tests/worker check forms against the database.
"""

from __future__ import annotations

import pytest

from pipeline.checks import check_reading
from pipeline.checks.findings import CheckResult
from pipeline.registry import MemoryRegistry
from pipeline.settings import Settings
from tests.checks.conftest import SENDER, add_open_task, form

pytestmark = pytest.mark.pure


@pytest.fixture
def registry(memory: MemoryRegistry) -> MemoryRegistry:
    return memory


def run(reg: MemoryRegistry, reading, **kw) -> CheckResult:  # type: ignore[no-untyped-def]
    return check_reading(reading, reg, settings=Settings(), **kw)


def codes(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings]


def only(result: CheckResult, code: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, codes(result)
    return found[0]


# What a message stores when IMDi's receiving host passed DMARC for the sender's domain.
PASSED = {"authserv_id": "mx.imdi.no", "spf": "pass", "dkim": "pass", "dmarc": "pass",
          "header_from": "nordkalotten-mottak.no", "verified": True, "reason": "DMARC pass", "rule": "dmarc"}


def test_a_good_form_has_no_findings(registry):
    result = run(registry, form(), sender=SENDER, auth=PASSED)
    assert result.findings == []
    assert result.initial_state == "review"
    assert result.operator_id == "DRO1032" and result.operator_match == "name"
    assert [(c.written, c.mottaksnummer, c.name) for c in result.centres] == [
        ("Alta asylmottak", "2005", "Alta asylmottak"), ("Storslett asylmottak", "1901", "Storslett asylmottak")]
    assert result.applicant["mobile"] == "+4741555123"
    assert result.operator["phone"] == "+4778790841"


@pytest.mark.parametrize("path", ["operator.organisation", "applicant.first_name", "applicant.last_name",
                                  "applicant.email", "applicant.mobile"])
def test_field_missing(registry, path):
    key = {"operator.organisation": "organisation", "applicant.first_name": "first_name",
           "applicant.last_name": "last_name", "applicant.email": "email", "applicant.mobile": "mobile"}[path]
    result = run(registry, form(**{key: "  "}))
    f = only(result, f"field.missing:{path}")
    assert f.severity == "error" and f.field == path and "ikke fylt ut" in f.message_no
    assert result.initial_state == "needs_info"


def test_field_missing_centres(registry):
    f = only(run(registry, form(centres=[])), "field.missing:centres")
    assert "Hvilke mottak" in f.message_no


@pytest.mark.parametrize(("key", "path", "severity"), [("email", "applicant.email", "error"),
                                                       ("op_email", "operator.email", "warning")])
def test_email_invalid(registry, key, path, severity):
    f = only(run(registry, form(**{key: "kari.testesen@@nordkalotten"})), f"email.invalid:{path}")
    assert f.severity == severity and "ikke gyldig" in f.message_no


def test_email_display_name_and_mailto_are_normalised(registry):
    result = run(registry, form(email="Kari Testesen <Kari.Testesen@Nordkalotten-Mottak.NO>",
                                op_email="mailto:bente.pal.johansen@nordkalotten-mottak.no"))
    assert result.findings == []
    assert result.applicant["email"] == "Kari.Testesen@nordkalotten-mottak.no"


@pytest.mark.parametrize("written", ["+47 415 55 123", "0047 415 55 123", "415-55-123", "(privat) 41555123",
                                     "Mob: 415 55 123"])
def test_mobile_noise_is_normalised(registry, written):
    result = run(registry, form(mobile=written))
    assert result.findings == [] and result.applicant["mobile"] == "+4741555123"


@pytest.mark.parametrize("written", ["123", "tlf", "42 00 00 00", "+47 415 55 12"])
def test_mobile_invalid(registry, written):
    f = only(run(registry, form(mobile=written)), "mobile.invalid")
    assert f.field == "applicant.mobile" and written in f.message_no


@pytest.mark.parametrize("written", ["22 33 44 55", "800 12 345"])
def test_mobile_not_mobile(registry, written):
    f = only(run(registry, form(mobile=written)), "mobile.not_mobile")
    assert "SMS" in f.message_no


def test_mobile_abroad_is_accepted_with_its_country(registry):
    result = run(registry, form(mobile="+46 70 123 45 67"))
    assert "mobile.invalid" not in codes(result) and "mobile.not_mobile" not in codes(result)
    assert result.mobile_country == "SE" and result.applicant["mobile"] == "+46701234567"


def test_mobile_duplicate_in_registry_names_the_holder_only_for_the_operator(registry):
    # +4798503224 is Amra Rønning's (U10011) in the reference registry.
    f = only(run(registry, form(mobile="985 03 224")), "mobile.duplicate")
    assert f.details["holder"]["user_id"] == "U10011"
    assert "Amra" in f.message_en
    assert "Amra" not in f.message_no and "Rønning" not in f.message_no and "U10011" not in f.message_no


def test_same_person_extends_the_user(registry):
    by_email = run(registry, form(first_name="Amra", last_name="Rønning", mobile="+4798503224",
                                  email="AMRA.RONNING@nordkalotten-mottak.no", centres=["Alta asylmottak"]))
    assert "mobile.duplicate" not in codes(by_email) and by_email.extends_user_id == "U10011"
    by_name = run(registry, form(first_name="amra", last_name="Ronning", mobile="985 03 224",
                                 email="amra@privat.example", centres=["Alta asylmottak"]))
    assert "mobile.duplicate" not in codes(by_name) and by_name.extends_user_id == "U10011"


def test_same_email_with_a_new_mobile_extends_the_user(registry):
    result = run(registry, form(first_name="Amra", last_name="Rønning", email="amra.ronning@nordkalotten-mottak.no",
                                mobile="415 55 123", centres=["Alta asylmottak"]))
    assert result.findings == [] and result.extends_user_id == "U10011"
    assert run(registry, form()).extends_user_id is None


def test_mobile_duplicate_in_an_open_task(registry):
    task_id = add_open_task(registry, first="Ola", last="Annensen", email="ola@nordkalotten-mottak.no",
                            mobile="+4741555123")
    f = only(run(registry, form()), "mobile.duplicate")
    assert f.details["holder"]["kind"] == "task" and "Ola Annensen" in f.message_en
    assert "Ola" not in f.message_no
    # The task being re-checked is not a clash with itself; a closed task is none either.
    assert "mobile.duplicate" not in codes(run(registry, form(), exclude_task_id=task_id))
    add_open_task(registry, first="Per", last="Lukket", email=None, mobile="+4741555124", state="rejected")
    assert "mobile.duplicate" not in codes(run(registry, form(mobile="41555124")))
    # The same person in an open task (a resend) is not a duplicate.
    add_open_task(registry, first="Kari", last="Testesen", email="kari.testesen@nordkalotten-mottak.no",
                  mobile="+4741555125")
    assert "mobile.duplicate" not in codes(run(registry, form(mobile="41555125")))


def test_centre_resolution_shows_written_beside_resolved(registry):
    result = run(registry, form(centres=["alta  MOTTAK", "Storslet", "(1902)"]))
    assert [(c.written, c.mottaksnummer) for c in result.centres] == [
        ("alta MOTTAK", "2005"), ("Storslet", "1901"), ("(1902)", "1902")]


def test_centre_ambiguous(registry):
    f = only(run(registry, form(centres=["Dale"])), "centre.ambiguous")
    assert {c["name"] for c in f.details["candidates"]} == {"Dale asylmottak", "Dale asylmottak EM"}
    assert "Dale asylmottak EM" in f.message_no and f.severity == "error"


def test_centre_unknown_suggests_the_nearest(registry):
    result = run(registry, form(centres=["Alta asylmottak", "Bergen asylmottak"]))
    f = only(result, "centre.unknown")
    assert f.details["suggestions"] and "Bergen" in f.message_no
    assert result.centres[1].mottaksnummer is None


def test_centre_inactive(registry):
    f = only(run(registry, form(centres=["Rakkestad asylmottak"])), "centre.inactive")
    assert "0103" in f.message_no


def test_centre_duplicate(registry):
    f = only(run(registry, form(centres=["Alta asylmottak", "alta mottak (2005)"])), "centre.duplicate")
    assert f.severity == "warning"


def test_centre_admin_limit_counts_registry_and_open_tasks(registry):
    # Gratangen asylmottak (1902) has two administrators in the registry already.
    f = only(run(registry, form(centres=["Gratangen asylmottak"])), "centre.admin_limit")
    assert f.severity == "warning" and f.details["count"] == 2
    # Alta (2005) has none; two open tasks for it make a third applicant too many.
    for i in range(2):
        add_open_task(registry, first=f"Admin{i}", last="Venter", email=f"a{i}@x.no", mobile=f"+474155510{i}",
                      centres=(("2005", "Alta asylmottak"),))
    assert "centre.admin_limit" in codes(run(registry, form(centres=["Alta asylmottak"])))
    # One of the administrators applying again is not a third.
    again = run(registry, form(first_name="Amra", last_name="Rønning", mobile="+4798503224",
                               email="amra.ronning@nordkalotten-mottak.no", centres=["Gratangen asylmottak"]))
    assert "centre.admin_limit" not in codes(again)


def test_centre_other_operator(registry):
    f = only(run(registry, form(centres=["Torshov asylmottak"])), "centre.other_operator")
    assert f.details["centre_operator_id"] == "DRO1039" and "Stiftelsen Fristed" in f.message_en
    assert "Fristed" not in f.message_no


@pytest.mark.parametrize(("organisation", "how"), [
    ("Nordkalotten Mottak AS (org.nr. 815 776 372)", "orgnr"),
    ("Firma (orgnr 815776372)", "orgnr"),
    ("Nordkalotten mottak", "name"),
    ("Nordkalottn Mottak A/S", "name"),
    ("Ukjent Firma", "operator_email"),
])
def test_operator_matched_by_orgnr_name_or_domain(registry, organisation, how):
    result = run(registry, form(organisation=organisation))
    assert (result.operator_id, result.operator_match) == ("DRO1032", how)


@pytest.mark.parametrize(("sender", "auth", "reason"), [
    # Verdicts without header.from (as stored before verification had one rule) verify nobody.
    ("bente.pal.johansen@nordkalotten-mottak.no", {"spf": "pass", "dkim": "fail", "dmarc": "pass"},
     "DMARC pass without header.from"),
    ("someone@gmail.example", {"spf": "pass"}, "not DRO1032's"),
    ("x@mail.nordkalotten-mottak.no", {"dmarc": [{"result": "fail"}]}, "DMARC fail"),
    # A missing Authentication-Results is unverified, not verified.
    (SENDER, None, "no Authentication-Results"),
    (SENDER, {**PASSED, "verified": False, "reason": "DMARC pass is for evil.example, not nordkalotten-mottak.no"},
     "evil.example"),
])
def test_sender_unverified(registry, sender, auth, reason):
    f = only(run(registry, form(), sender=sender, auth=auth), "sender.unverified")
    assert f.severity == "warning" and reason in f.message_en
    assert run(registry, form(), sender=SENDER, auth=PASSED).findings == []


def test_every_finding_has_both_texts(registry):
    result = run(registry, form(organisation=None, email="bad@", mobile="22 33 44 55",
                                centres=["Dale", "Bergen", "Rakkestad", "Alta", "Alta", "Torshov", "Gratangen mottak"]),
                 sender="x@gmail.example", auth={"spf": "fail"})
    assert len(set(codes(result))) >= 8
    for f in result.findings:
        assert f.message_no and f.message_en and f.message_no != f.message_en
        assert f.severity == ("error" if f.blocks_approval else "warning")


def test_no_dns_by_default_and_a_setting_turns_deliverability_on(registry, monkeypatch):
    """The machine may be offline: syntax only unless Settings.check_deliverability (stand-in for DNS)."""
    import email_validator.deliverability as deliverability
    from email_validator import EmailUndeliverableError

    asked: list[str] = []

    def no_mx(domain, domain_i18n, timeout=None, dns_resolver=None):  # type: ignore[no-untyped-def]
        asked.append(domain)
        raise EmailUndeliverableError(f"The domain name {domain_i18n} does not exist.")

    monkeypatch.setattr(deliverability, "validate_email_deliverability", no_mx)
    assert run(registry, form()).findings == [] and asked == []
    result = check_reading(form(), registry, settings=Settings(check_deliverability=True))
    assert {"email.invalid:applicant.email", "email.invalid:operator.email"} <= set(codes(result))
    assert "nordkalotten-mottak.no" in asked
