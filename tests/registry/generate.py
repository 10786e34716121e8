"""A generated registry in the CSV format of reference/registry/README.md: N users, M centres.

Fictional: place names are made of syllables, people of a few common names with numbers.
Used by the large-import test and bench/check.
"""

from __future__ import annotations

import csv
import itertools
import random
from pathlib import Path

_SYLLABLES = ["bjør", "dal", "vik", "heim", "stad", "ås", "sand", "berg", "nes", "lund", "mo", "fjord", "øy",
              "haug", "rud", "eid", "land", "bø", "skog", "li", "vang", "åker", "strand", "holm", "set"]
_KINDS = [("ordinaer", ""), ("em", " EM"), ("transitt", " transitt"), ("fa", " FA"), ("akutt", " akutt")]
_FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Amina", "Ali", "Siri", "Jonas", "Heidi", "Mehari", "Liv", "Tone"]
_LAST = ["Nordmann", "Hansen", "Berg", "Dahl", "Lund", "Haugen", "Vik", "Moen", "Strand", "Eide"]
ROLES = ["Mottaksadministrator", "MottakBosettingsansvarlig", "MottakKompass"]


def orgnr(seed: int) -> str:
    """A 9-digit number with a valid mod-11 check digit."""
    for base in itertools.count(80000000 + seed * 7):
        digits = f"{base:08d}"
        rest = sum(int(d) * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        check = 0 if rest == 0 else 11 - rest
        if check != 10:
            return digits + str(check)
    raise AssertionError


def place_names(n: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        parts = rng.sample(_SYLLABLES, rng.choice((2, 2, 3)))
        names.add("".join(parts).capitalize())
    return sorted(names)


def write_registry(folder: Path, *, users: int, centres: int = 2000, operators: int = 40,
                   seed: int = 7) -> dict[str, Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / f"{k}.csv" for k in ("operators", "centres", "users")}
    op_ids = [f"DRO{2000 + i}" for i in range(operators)]
    with paths["operators"].open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["operator_id", "name", "orgnr", "email_domain", "manager", "email", "phone"])
        for i, op in enumerate(op_ids):
            w.writerow([op, f"Testdrift {i} AS", orgnr(i), f"testdrift{i}.no", "Kari Nordmann",
                        f"leder@testdrift{i}.no", f"+47220{i:05d}"])
    numbers: list[str] = []
    with paths["centres"].open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["mottaksnummer", "name", "kind", "kommunenummer", "kommune", "operator_id", "active"])
        counties = [f"{c:02d}" for c in range(1, 21)] + ["35"]
        slots = (f"{c}{n:02d}" for n in range(100) for c in counties)
        places = place_names(centres, rng)
        i = 0
        for place in places:
            for kind, suffix in [_KINDS[0]] + ([rng.choice(_KINDS[1:])] if rng.random() < 0.15 else []):
                if i == centres:
                    break
                number = next(slots)
                numbers.append(number)
                w.writerow([number, f"{place} asylmottak{suffix}", kind, number, place, op_ids[i % operators],
                            "false" if rng.random() < 0.05 else "true"])
                i += 1
    with paths["users"].open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "first_name", "last_name", "email", "mobile", "role", "centres"])
        mobiles = rng.sample(range(10_000_000), users)
        for u in range(users):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            if u < 2 * len(numbers):  # two administrators per centre, as IMDi recommends
                role, centre_list = "Mottaksadministrator", numbers[u // 2]
            else:
                role, centre_list = ROLES[1 + u % 2], ";".join(rng.sample(numbers, rng.choice((1, 1, 2))))
            w.writerow([f"G{u:06d}", first, last, f"{first.lower()}.{last.lower()}{u}@testdrift{u % operators}.no",
                        f"+479{mobiles[u]:07d}", role, centre_list])
    return paths
