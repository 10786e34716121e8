"""`pipeline db upgrade`: bring the database schema up to date."""

from __future__ import annotations

import argparse

from pipeline.db.session import upgrade


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", parents=[common], help="database schema")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", parents=[common], help="migrate the database to the newest schema")
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from pipeline.cli import settings_from

    settings = settings_from(args)
    if settings.db_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.db_url)
    print(f"database at head: {settings.db_url.split('@')[-1]}")
    return 0
