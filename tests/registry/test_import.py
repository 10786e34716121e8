"""Registry import: reference files, idempotence, updates, broken files line by line, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pipeline.adapters.db.models import RegistryCentre, RegistryOperator, RegistryUser, RegistryUserRole
from pipeline.adapters.registry_store import RegistryView
from tests.registry.helpers import counts, edited, import_files, line_of, reference


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_reference_files_import_cleanly_and_twice_changes_nothing(db, reference_dir):
    files = reference(reference_dir)
    first = import_files(db, files)
    assert first.ok, first.rejected
    assert counts(first) == {"operators": (25, 0, 0, 0), "centres": (132, 0, 0, 0), "users": (600, 0, 0, 0)}
    assert _count(db, RegistryUserRole) >= 600
    second = import_files(db, files)
    assert counts(second) == {"operators": (0, 0, 25, 0), "centres": (0, 0, 132, 0), "users": (0, 0, 600, 0)}
    assert not second.changed


def test_a_changed_row_updates(db, reference_dir, tmp_path):
    files = reference(reference_dir)
    import_files(db, files)
    centres = edited(files["centres"], tmp_path / "centres.csv", {
        line_of(files["centres"], "0301,"): "0301,Torshov asylmottak,ordinaer,0301,Oslo,DRO1039,false"})
    users_line = line_of(files["users"], "U10001,")
    users = edited(files["users"], tmp_path / "users.csv", {
        users_line: "U10001,Aida,Begić,aida.begic@grenlandmottak.no,+4793761406,Mottaksadministrator,0104;0701"})
    report = import_files(db, {"centres": centres, "users": users})
    assert counts(report) == {"centres": (0, 1, 131, 0), "users": (0, 1, 599, 0)}
    with db() as s:
        assert s.get(RegistryCentre, "0301").active is False
        roles = s.execute(select(RegistryUserRole.role, RegistryUserRole.mottaksnummer)
                          .where(RegistryUserRole.user_id == "U10001")).all()
    assert sorted(roles) == [("Mottaksadministrator", "0104"), ("Mottaksadministrator", "0701")]


def test_two_users_may_swap_mobiles(db, reference_dir, tmp_path):
    files = reference(reference_dir)
    import_files(db, files)
    a, b = line_of(files["users"], "U10001,"), line_of(files["users"], "U10002,")
    lines = files["users"].read_text(encoding="utf-8").splitlines()
    mob_a, mob_b = lines[a - 1].split(",")[4], lines[b - 1].split(",")[4]
    users = edited(files["users"], tmp_path / "users.csv", {
        a: lines[a - 1].replace(mob_a, mob_b), b: lines[b - 1].replace(mob_b, mob_a)})
    report = import_files(db, {"users": users})
    assert report.ok and counts(report)["users"] == (0, 2, 598, 0)
    with db() as s:
        assert s.get(RegistryUser, "U10001").mobile == mob_b


def test_broken_files_are_refused_line_by_line(db, reference_dir, tmp_path):
    files = reference(reference_dir)
    import_files(db, files)
    ops = edited(files["operators"], tmp_path / "operators.csv", {2: "DRX1007,Fjordtun,843526463,fjordtun,,,"},
                 append=["DRO1999,Ny Drift AS,843526462,nydrift.no,,,"])
    centres = edited(files["centres"], tmp_path / "centres.csv", {
        2: "101,Askim asylmottak,ordinaer,0124,Askim,DRO1043,true",
        3: "0102,Råde akuttinnkvartering,hotell,0135,Råde,DRO1051,ja",
        4: "0103,Rakkestad asylmottak,ordinaer,0128,Rakkestad,DRO9999,false",
    }, append=["0199,ASKIM  asylmottak,ordinaer,0124,Askim,DRO1043,true", "0198,too,few"])
    users = edited(files["users"], tmp_path / "users.csv", {
        2: "U10001,Aida,Begić,not-an-address,+4793761406,Mottaksadministrator,0701",
        3: "U10002,Sigrid,Grønlie,sigrid@x.no,+4722334455,Mottaksadministrator,0609",
        4: "U10003,Thomas,Ødegård,thomas@x.no,+4798459062,Sjef,0611",
        5: "U10004,Heidi,Rønning,heidi@x.no,+4796645274,MottakKompass,2099",
    }, append=["U99999,Kari,Nordmann,kari@x.no,+4746758805,MottakKompass,0101"])  # U10005's mobile
    report = import_files(db, {"operators": ops, "centres": centres, "users": users})
    assert not report.ok
    reasons = {(r.file.rsplit("/", 1)[-1], r.line): r.reason for r in report.rejected}
    assert "operator_id" in reasons[("operators.csv", 2)]
    assert "orgnr" in reasons[("operators.csv", 27)]  # DRO1007's orgnr, taken
    assert "mottaksnummer" in reasons[("centres.csv", 2)]
    assert "kind" in reasons[("centres.csv", 3)]
    assert "unknown operator_id DRO9999" in reasons[("centres.csv", 4)]
    assert "name" in reasons[("centres.csv", 134)] and "askim" in reasons[("centres.csv", 134)].lower()
    assert "fields" in reasons[("centres.csv", 135)]
    assert "e-mail" in reasons[("users.csv", 2)]
    assert "not a mobile" in reasons[("users.csv", 3)]
    assert "role" in reasons[("users.csv", 4)]
    assert "unknown centre" in reasons[("users.csv", 5)]
    assert "+4746758805" in reasons[("users.csv", 602)] and "U10005" in reasons[("users.csv", 602)]
    # All or nothing: nothing of any file was written.
    assert not any(f.applied for f in report.files)
    assert (_count(db, RegistryOperator), _count(db, RegistryCentre), _count(db, RegistryUser)) == (25, 132, 600)
    with db() as s:
        assert s.get(RegistryUser, "U10001").email == "aida.begic@grenlandmottak.no"
    assert all(r.line > 0 and r.reason for r in report.rejected)


def test_partial_import_takes_the_valid_rows(db, reference_dir, tmp_path):
    files = reference(reference_dir)
    centres = edited(files["centres"], tmp_path / "centres.csv", {2: "0101,,ordinaer,0124,Askim,DRO1043,true"})
    report = import_files(db, {"operators": files["operators"], "centres": centres}, all_or_nothing=False)
    assert counts(report)["centres"] == (131, 0, 0, 1)
    assert report.file("centres").applied
    assert _count(db, RegistryCentre) == 131


def test_bad_header_and_encoding(db, reference_dir, tmp_path):
    bad_header = tmp_path / "operators.csv"
    bad_header.write_text("id,name\nDRO1,X\n", encoding="utf-8")
    latin1 = tmp_path / "centres.csv"
    latin1.write_bytes((reference_dir / "registry" / "centres.csv").read_text(encoding="utf-8").encode("latin-1"))
    report = import_files(db, {"operators": bad_header, "centres": latin1})
    reasons = [str(r) for r in report.rejected]
    assert any("operators.csv:1: header lacks column(s) operator_id" in r or "header lacks" in r for r in reasons)
    assert any("not UTF-8" in r for r in reasons)


def test_import_refreshes_the_centre_index(db, reference_dir, tmp_path):
    files = reference(reference_dir)
    import_files(db, {"operators": files["operators"], "centres": files["centres"]})
    with db() as s:
        assert RegistryView(s).resolve_centre("Nyby asylmottak").status == "unknown"
    more = edited(files["centres"], tmp_path / "centres.csv", append=["2099,Nyby asylmottak,ordinaer,2001,Nyby,DRO1043,true"])
    import_files(db, {"centres": more})
    with db() as s:
        res = RegistryView(s).resolve_centre("Nyby asylmottak")
    assert res.status == "resolved" and res.centre.mottaksnummer == "2099"


@pytest.mark.parametrize("clash", ["mobile", "name_key"])
def test_the_database_refuses_a_concurrent_clash(db, clash):
    """Two writers both checked that a mobile (or a centre name) is free, then both write it: the unique
    index lets only the first commit."""
    with db() as s, s.begin():
        s.add(RegistryOperator(operator_id="DRO1000", name="X AS", orgnr="843526462", email_domain="x.no"))
    first, second = db(), db()
    try:
        for i, session in enumerate((first, second)):
            if clash == "mobile":
                assert session.scalar(select(RegistryUser).where(RegistryUser.mobile == "+4791234567")) is None
                session.add(RegistryUser(user_id=f"U{i}", first_name="Kari", last_name=f"N{i}",
                                         email=f"k{i}@x.no", mobile="+4791234567"))
            else:
                session.add(RegistryCentre(mottaksnummer=f"010{i}", name="Nyby asylmottak",
                                           name_key="nyby asylmottak", kind="ordinaer", operator_id="DRO1000"))
        first.commit()
        with pytest.raises(IntegrityError):
            second.commit()
    finally:
        first.close()
        second.close()
