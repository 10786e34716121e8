"""Registry CSV files (format: reference/registry/README.md): read rows and validate each one (pure).

Each validator takes the row (a dict of the header's columns) and returns the record to store, or
raises RowError with the reason. Checks that need other rows (uniqueness, known operator or centre)
are the importer's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.core.domain import ROLE
from pipeline.core.names import normalise_centre_name
from pipeline.forms.reading import fold
from pipeline.registry.validate import (
    domain_valid,
    email_key,
    normalise_email,
    orgnr_valid,
    phone_e164_error,
    registry_mobile_error,
)

OPERATOR_COLUMNS = ("operator_id", "name", "orgnr", "email_domain", "manager", "email", "phone")
CENTRE_COLUMNS = ("mottaksnummer", "name", "kind", "kommunenummer", "kommune", "operator_id", "active")
USER_COLUMNS = ("user_id", "first_name", "last_name", "email", "mobile", "role", "centres")

CENTRE_KINDS = frozenset({"ordinaer", "em", "transitt", "fa", "akutt", "akuttinnkvartering"})
ROLES = frozenset({
    "Mottaksadministrator", "MottakBosettingsansvarlig", "MottakKompass",
    "IntegreringsmottakBosettingsansvarlig", "IntegreringsmottakKompass",
})
ADMIN_ROLE = ROLE

_DRO = re.compile(r"DRO\d{4,}")
_MOTTAKSNUMMER = re.compile(r"(0[1-9]|1\d|20|35)\d{2}")
_KOMMUNENUMMER = re.compile(r"\d{4}")
_USER_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class RowError(ValueError):
    """A row that cannot be imported; the message is the reason."""


class FileError(ValueError):
    """A file that cannot be read at all (encoding, header); line says where."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def valid_user_id(value: str) -> bool:
    return bool(_USER_ID.fullmatch(value))


def count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def read_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; raises FileError for a bad header or encoding."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise FileError(0, f"cannot open: {exc.strerror}") from exc
    with fh:
        reader = csv.reader(fh)
        try:
            first = next(reader, None)
            if first is None:
                raise FileError(1, f"the file is empty: not even the header line ({','.join(columns)})")
            header = [h.strip() for h in first]
            missing = [c for c in columns if c not in header]
            if missing:
                raise FileError(1, f"header lacks column(s) {', '.join(missing)} (expected {','.join(columns)})")
            index = [header.index(c) for c in columns]
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    yield reader.line_num, {"__error__": f"{len(cells)} fields, the header has {len(header)}"}
                    continue
                yield reader.line_num, {c: cells[i].strip() for c, i in zip(columns, index, strict=True)}
        except UnicodeDecodeError as exc:
            raise FileError(reader.line_num + 1, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
        except csv.Error as exc:
            raise FileError(reader.line_num, f"CSV syntax: {exc}") from exc


def _text(row: dict[str, str], key: str, *, required: bool = True) -> str | None:
    value = fold(row.get(key))
    if required and not value:
        raise RowError(f"{key} is empty")
    return value


def _email(value: str, what: str) -> str:
    try:
        return email_key(normalise_email(value))
    except ValueError as exc:
        raise RowError(f"{what} {value!r} is not a valid e-mail address ({exc})") from exc


def _precheck(row: dict[str, str]) -> None:
    if "__error__" in row:
        raise RowError(row["__error__"])


def operator_record(row: dict[str, str]) -> dict[str, Any]:
    _precheck(row)
    operator_id = _text(row, "operator_id") or ""
    if not _DRO.fullmatch(operator_id):
        raise RowError(f"operator_id {operator_id!r} is not DRO followed by digits")
    orgnr = row["orgnr"].replace(" ", "")
    if not orgnr_valid(orgnr):
        raise RowError(f"orgnr {row['orgnr']!r} is not 9 digits with a valid mod-11 check digit")
    domain = row["email_domain"].strip().lower()
    if not domain_valid(domain):
        raise RowError(f"email_domain {row['email_domain']!r} is not a domain name")
    email = _text(row, "email", required=False)
    phone = _text(row, "phone", required=False)
    if phone and (err := phone_e164_error(phone)):
        raise RowError(err)
    return {
        "operator_id": operator_id, "name": _text(row, "name"), "orgnr": orgnr, "email_domain": domain,
        "manager": _text(row, "manager", required=False),
        "email": _email(email, "email") if email else None, "phone": phone,
    }


def centre_record(row: dict[str, str]) -> dict[str, Any]:
    _precheck(row)
    number = row["mottaksnummer"]
    if not _MOTTAKSNUMMER.fullmatch(number):
        raise RowError(f"mottaksnummer {number!r} is not 4 digits starting with a county number (01-20, 35)")
    name = _text(row, "name") or ""
    kind = row["kind"].strip().lower()
    if kind not in CENTRE_KINDS:
        raise RowError(f"kind {row['kind']!r} is not one of {', '.join(sorted(CENTRE_KINDS))}")
    kommunenummer = row["kommunenummer"] or None
    if kommunenummer and not _KOMMUNENUMMER.fullmatch(kommunenummer):
        raise RowError(f"kommunenummer {kommunenummer!r} is not 4 digits")
    active = row["active"].strip().lower()
    if active not in ("true", "false"):
        raise RowError(f"active {row['active']!r} is not true or false")
    operator_id = row["operator_id"]
    if not _DRO.fullmatch(operator_id):
        raise RowError(f"operator_id {operator_id!r} is not DRO followed by digits")
    return {
        "mottaksnummer": number, "name": name, "name_key": normalise_centre_name(name), "kind": kind,
        "kommunenummer": kommunenummer, "kommune": _text(row, "kommune", required=False),
        "operator_id": operator_id, "active": active == "true",
    }


def user_record(row: dict[str, str]) -> tuple[dict[str, Any], tuple[str, tuple[str, ...]]]:
    """The user's fields, and this row's (role, centres)."""
    _precheck(row)
    user_id = row["user_id"]
    if not _USER_ID.fullmatch(user_id):
        raise RowError(f"user_id {user_id!r} is empty or has characters other than letters, digits, _ . -")
    mobile = row["mobile"].replace(" ", "")
    if err := registry_mobile_error(mobile):
        raise RowError(err)
    role = row["role"].strip()
    if role not in ROLES:
        raise RowError(f"role {role!r} is not one of {', '.join(sorted(ROLES))}")
    centres = tuple(c.strip() for c in row["centres"].split(";") if c.strip())
    if not centres:
        raise RowError("centres is empty")
    bad = [c for c in centres if not _MOTTAKSNUMMER.fullmatch(c)]
    if bad:
        raise RowError(f"centres: {', '.join(map(repr, bad))} is not a mottaksnummer")
    user = {
        "user_id": user_id, "first_name": _text(row, "first_name"), "last_name": _text(row, "last_name"),
        "email": _email(row["email"], "email"), "mobile": mobile,
    }
    return user, (role, centres)
