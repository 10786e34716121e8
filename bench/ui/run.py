#!/usr/bin/env python3
"""UI benchmark: seed 50,000 tasks, serve the app (`pipeline serve`), time the queue and task pages.

    .venv/bin/python bench/ui/run.py [--tasks 50000] [--requests 40] [--database-url URL]

A logged-in client over loopback HTTP; prints p50/p95 per page in milliseconds. Not a test.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import insert  # noqa: E402

from pipeline.adapters.db import search_index  # noqa: E402
from pipeline.adapters.db.models import FindingRow, Message, Task, TaskCentre  # noqa: E402
from pipeline.adapters.db.session import open_database, unit_of_work  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.web import seed  # noqa: E402
from tests.web.conftest import csrf_token  # noqa: E402
from tests.web.server import serve  # noqa: E402

FIRST = ["Ola", "Kari", "Åse", "Per", "Liv", "Nils", "Ingrid", "Bjørn", "Sigrid", "Ahmed", "Fatima", "Jonas", "Maja"]
LAST = ["Nordmann", "Hansen", "Ødegård", "Berg", "Johansen", "Larsen", "Grønlie", "Haugen", "Dahl", "Lie", "Bakke"]
REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "registry" / "centres.csv"


def centres() -> list[tuple[str, str | None]]:
    """The shared fictional registry's centres (about 130, as in production), plus a few misspellings."""
    import csv

    rows: list[tuple[str, str | None]] = [("Askim asylmottak", "0101"), ("Dale asylmottak", "1204")]
    if REFERENCE.exists():
        with open(REFERENCE, encoding="utf-8") as fh:
            rows = [(r["name"], r["mottaksnummer"]) for r in csv.DictReader(fh)]
    return rows + [("Dale mottak", None), ("Askim", None), ("Rade akuttinnkv.", None)]


CENTRES = centres()
STATES = ["needs_info"] * 15 + ["review"] * 20 + ["approved"] * 5 + ["provisioned"] * 45 + ["rejected"] * 10 + \
         ["superseded"] * 5


def populate(factory, n: int) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(42)
    start = datetime.now(UTC) - timedelta(days=400)
    batch = 5000
    with unit_of_work(factory) as s:
        seed.operator(s, "bench")
    for lo in range(1, n + 1, batch):
        ids = range(lo, min(n + 1, lo + batch))
        msgs, tasks, centres, findings = [], [], [], []
        for i in ids:
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            email = f"{first.lower()}.{last.lower()}{i}@fjordtun-mottak.no"
            mobile = f"+479{i:07d}"
            at = start + timedelta(minutes=11 * i)
            state = rnd.choice(STATES)
            cs = rnd.sample(CENTRES, rnd.choice((1, 1, 2, 3)))
            msgs.append({"id": i, "sha256": f"{i:064x}", "message_id": f"<m{i}@fjordtun-mottak.no>",
                         "sender": "thomas.johannessen@fjordtun-mottak.no", "subject": f"Skjema {first} {last}",
                         "received_at": at, "ingested_at": at, "raw": b"x" * 2000, "size": 2000,
                         "outcome": "needs_info" if state == "needs_info" else "queued", "attempts": 1})
            tasks.append({"id": i, "case_ref": f"{2025 + i // 40000}-{i:05d}", "state": state, "message_pk": i,
                          "sender": "thomas.johannessen@fjordtun-mottak.no", "first_name": first, "last_name": last,
                          "email": email, "mobile": mobile, "position": "Mottaksleder",
                          "operator": {"organisation": "Fjordtun Mottaksdrift AS"}, "operator_id": "DRO1007",
                          "reading": seed.reading(first, last, email, mobile, [c[0] for c in cs]),
                          "created_at": at, "updated_at": at})
            for pos, (name, number) in enumerate(cs):
                centres.append({"task_id": i, "position": pos, "written": name, "mottaksnummer": number,
                                "name": name if number else None})
                if number is None:
                    findings.append({"task_id": i, "code": "centre.unknown", "severity": "error", "field": "centres",
                                     "message_no": "Vi fant ikke mottaket.", "message_en": "Unknown centre.",
                                     "details": {"written": name, "suggestions": [{"mottaksnummer": "1204",
                                                                                  "name": "Dale asylmottak"}]}})
        with unit_of_work(factory) as s:
            s.execute(insert(Message), msgs)
            s.execute(insert(Task), tasks)
            s.execute(insert(TaskCentre), centres)
            if findings:
                s.execute(insert(FindingRow), findings)
            # Bulk inserts bypass the ORM's flush, which keeps the search index: build it as the migration does.
            search_index.rebuild(s)


def login(url: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = csrf_token(opener.open(url + "/logg-inn").read().decode())
    data = urllib.parse.urlencode({"username": "bench", "password": seed.PASSWORD, "csrf_token": token}).encode()
    page = opener.open(url + "/logg-inn", data=data).read().decode()
    assert "Innlogget som" in page, "login failed"
    return opener


def timed(opener, url: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    opener.open(url).read()  # warm-up
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = opener.open(url)
        resp.read()
        assert resp.status == 200
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18] if len(xs) >= 20 else max(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    try:
        return _run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # about 300 MB of SQLite


def _run(args: argparse.Namespace, tmp: Path) -> int:
    settings = Settings(data_dir=tmp, database_url=args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}")
    factory = open_database(settings)
    t0 = time.perf_counter()
    populate(factory, args.tasks)
    if not settings.db_url.startswith("sqlite"):
        # A bulk load leaves PostgreSQL without statistics or a visibility map until autovacuum comes
        # round; production has had it. (SQLite runs as it does in production: no ANALYZE.)
        from sqlalchemy import text

        with factory.kw["bind"].execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {args.tasks} tasks in {time.perf_counter() - t0:.1f} s ({settings.db_url.split(':')[0]})")
    rnd = random.Random(7)
    pages = {
        "queue: open (default)": "/",
        "queue: all states": "/?tilstand=alle",
        "queue: needs_info": "/?tilstand=needs_info",
        "queue: newest first": "/?tilstand=alle&sortering=nyeste",
        "queue: page 150": "/?tilstand=alle&side=150",
        "queue: search name 'hansen'": "/?tilstand=alle&q=hansen",
        "queue: search 'kari ødegård'": "/?tilstand=alle&q=kari+%C3%B8deg%C3%A5rd",
        "queue: search e-mail": "/?tilstand=alle&q=ola.nordmann1",
        "queue: search mobile": "/?tilstand=alle&q=900+12",
        "queue: search centre '1103'": "/?q=1103",
        "queue: search 'dale asylmottak'": "/?tilstand=alle&q=dale+asylmottak",
        "queue: search inside a word 'asylmottak'": "/?status=alle&q=asylmottak",
        "queue: search without æøå 'odegard'": "/?status=alle&q=odegard",
        "queue: search inside 'ansen'": "/?status=alle&q=ansen",
        "queue: search case ref": "/?status=alle&q=2025-01234",
        "queue: search sender 'fjordtun'": "/?q=fjordtun",
        "queue: search rare 'zq'": "/?status=alle&q=zq",
        "queue: mine": "/?eier=meg",
        "queue: search case number '1234'": "/?status=alle&q=1234",
        "queue: waiting 'svar holdt tilbake'": "/?status=alle&venter=holdt",
        "queue: waiting 'purret'": "/?venter=purret",
    }
    with serve(tmp, settings.db_url) as url:
        opener = login(url)
        rows = []
        for label, path in pages.items():
            rows.append((label, timed(opener, url + path, args.requests)))
        task_times: list[float] = []
        for _ in range(args.requests):
            task_times += timed(opener, f"{url}/oppgave/{rnd.randint(1, args.tasks)}", 1)
        rows.append(("task page (random tasks)", task_times))
        # A case opened from a search: its previous and next case are found in that view.
        view_times: list[float] = []
        for _ in range(args.requests):
            view_times += timed(opener, f"{url}/oppgave/{rnd.randint(1, args.tasks)}?status=alle&q=hansen", 1)
        rows.append(("task page in a searched view", view_times))
        rows.append(("queue counts (polled)", timed(opener, url + "/ko/puls.json", args.requests)))
        rows.append(("messages page", timed(opener, url + "/meldinger", args.requests)))
    print(f"{'page':38} {'p50 ms':>8} {'p95 ms':>8}")
    for label, xs in rows:
        print(f"{label:38} {statistics.median(xs):8.1f} {p95(xs):8.1f}")
    everything = [x for _, xs in rows for x in xs]
    print(f"{'all':38} {statistics.median(everything):8.1f} {p95(everything):8.1f}   (target p95 < 150 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
