"""`pipeline db upgrade`: bring the database schema up to date."""

from __future__ import annotations

import argparse

from pipeline.entrypoints.cli import group


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    dbsub = group(sub, "db", "the database's schema", common)
    up = dbsub.add_parser("upgrade", parents=[common],
                          help="bring the database's schema up to date (other commands do it on first use)")
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from pipeline.adapters.db.session import open_database
    from pipeline.entrypoints.cli import settings_from

    settings = settings_from(args)
    open_database(settings).kw["bind"].dispose()  # migrates to head, or says why it cannot
    print(f"Databasen er oppdatert: {settings.db_url.split('@')[-1]}")
    return 0
