#!/usr/bin/env python3
"""What the approval rule costs the queue page: a page of removal cases (each asks whether it leaves a
centre without an administrator), on SQLite with the reference registry.

    .venv/bin/python bench/policy/run.py [--cases 50]

Prints the queue page's time, and the rule's facts asked as the case page asks them (every fact) and as
the queue's bulk boxes ask them (a case something else keeps out of bulk is not asked about the
centre), each as a share of the page measured in the same run. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select  # noqa: E402

from pipeline.adapters.db.models import RegistryUserRole, Task  # noqa: E402
from pipeline.adapters.db.session import open_database, unit_of_work  # noqa: E402
from pipeline.adapters.registry_store import import_registry  # noqa: E402
from pipeline.core.domain import ORIGIN_CENTRE_CLOSED, ROLE  # noqa: E402
from pipeline.queries import approval, queue  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.steps.removals import open_removal  # noqa: E402

REGISTRY = Path(__file__).resolve().parents[2] / "reference" / "registry"


def best(run: Callable[[], object], rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50)
    args = parser.parse_args()
    db = open_database(Settings(data_dir=Path(tempfile.mkdtemp())))
    with unit_of_work(db) as session:
        import_registry(session, REGISTRY / "operators.csv", REGISTRY / "centres.csv", REGISTRY / "users.csv")
    with unit_of_work(db) as session:
        users = list(dict.fromkeys(session.scalars(select(RegistryUserRole.user_id)
                                                   .where(RegistryUserRole.role == ROLE))))[:args.cases]
        for user_id in users:
            open_removal(session, user_id=user_id, centres=None, origin=ORIGIN_CENTRE_CLOSED, reason="bench")
    with db() as session:
        tasks = list(session.scalars(select(Task)))
        page = best(lambda: queue.queue_page(session, queue.QueueQuery(state="review"), args.cases, actor="ola"))
        every = best(lambda: approval.facts_for(session, tasks))
        bulk = best(lambda: approval.facts_for(session, tasks, for_bulk=True))
    print(f"removal cases on the page: {len(tasks)}")
    print(f"queue page:                 {page * 1000:7.1f} ms")
    print(f"rule's facts, every fact:   {every * 1000:7.1f} ms  ({every / page:.2f} x the page)")
    print(f"rule's facts, for bulk:     {bulk * 1000:7.1f} ms  ({bulk / page:.2f} x the page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
