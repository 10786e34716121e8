"""The `pipeline` command: a thin layer over the library. Each group lives in its own module.

Every command takes --data-dir (default $PIPELINE_DATA_DIR or ./var) and --database-url.
Errors of the pipeline's own kind exit non-zero with a clear message (JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence

from pipeline.errors import PipelineError
from pipeline.settings import Settings

# Modules that add sub-commands; each defines register(subparsers, common).
_COMMAND_MODULES = (
    "pipeline.cli.parse_cmd",
    "pipeline.cli.db_cmd",
    "pipeline.cli.registry_cmd",
    "pipeline.cli.check_cmd",
    "pipeline.cli.worker_cmd",
    "pipeline.cli.messages_cmd",
    "pipeline.cli.status_cmd",
    "pipeline.cli.queue_cmd",
    "pipeline.cli.review_cmd",
    "pipeline.cli.replies_cmd",
    "pipeline.cli.purge_cmd",
    "pipeline.cli.web_cmd",
)


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="data folder (default: $PIPELINE_DATA_DIR or ./var)")
    common.add_argument("--database-url", default=argparse.SUPPRESS,
                        help="SQLAlchemy URL (default: $PIPELINE_DATABASE_URL or SQLite in the data folder)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")
    return common


def build_parser() -> argparse.ArgumentParser:
    import importlib

    common = common_parser()
    parser = argparse.ArgumentParser(prog="pipeline", parents=[common], description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(getattr(args, "data_dir", None), getattr(args, "database_url", None))


def database_from(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The settings and a session factory on the migrated database, for a command's handler."""
    from pipeline.db.session import open_database

    settings = settings_from(args)
    return settings, open_database(settings)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return int(handler(args) or 0)
    except PipelineError as exc:
        if getattr(args, "json", False):
            print_json(exc.to_json())
        else:
            print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
