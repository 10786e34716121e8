"""The `pipeline` command for IMDi support: take in mail, look at the queue, decide cases, send replies.

Each group of commands lives in its own module with a `register(sub, common)`; the work is done by the
service's use cases and read models, never here. Every error is one line on stderr,
`error [code]: what went wrong and what to do`, with exit status 2 (JSON with --json); a traceback
means a bug.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.errors import PipelineError
from pipeline.settings import Settings

# Modules that add sub-commands; each defines register(subparsers, common).
_COMMAND_MODULES = (
    "pipeline.entrypoints.cli.parse_cmd",
    "pipeline.entrypoints.cli.db_cmd",
    "pipeline.entrypoints.cli.registry_cmd",
    "pipeline.entrypoints.cli.check_cmd",
    "pipeline.entrypoints.cli.worker_cmd",
    "pipeline.entrypoints.cli.messages_cmd",
    "pipeline.entrypoints.cli.status_cmd",
    "pipeline.entrypoints.cli.queue_cmd",
    "pipeline.entrypoints.cli.review_cmd",
    "pipeline.entrypoints.cli.replies_cmd",
    "pipeline.entrypoints.cli.purge_cmd",
    "pipeline.entrypoints.cli.web_cmd",
    "pipeline.entrypoints.cli.settings_cmd",
)

DESCRIPTION = """\
The IMDi access-request pipeline: reads the forms driftsoperatører e-mail to post@imdi.no, checks them
against the registry, and keeps a queue of cases with drafted replies for IMDi's operators.

Start with `pipeline worker --once` (take in mail), `pipeline queue list` (the cases) and
`pipeline status` (is everything running?). `pipeline COMMAND --help` explains each command.
"""


def base_parser() -> argparse.ArgumentParser:
    """Options every command takes."""
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                      help="log more (to stderr)")
    return base


def common_parser() -> argparse.ArgumentParser:
    """Options of every command that uses the data folder or the database."""
    common = argparse.ArgumentParser(add_help=False, parents=[base_parser()])
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help="data folder (default: $PIPELINE_DATA_DIR or ./var)")
    common.add_argument("--database-url", default=argparse.SUPPRESS, metavar="URL",
                        help="database, as an SQLAlchemy URL (default: $PIPELINE_DATABASE_URL, "
                             "else SQLite in the data folder)")
    return common


def group(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, common: argparse.ArgumentParser,
          description: str | None = None) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command with sub-commands; alone (`pipeline queue`) it lists them instead of failing."""
    parser = sub.add_parser(name, parents=[common], help=help, description=description or help)
    inner = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", title="actions")

    def show_help(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=show_help)
    return inner


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    common = common_parser()
    # The data folder and database also before the command (`pipeline --data-dir D worker --once`), as
    # DESIGN.md gives them for every command; given after it as well, the later one counts.
    parser = argparse.ArgumentParser(prog="pipeline", parents=[common], description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(getattr(args, "data_dir", None), getattr(args, "database_url", None))


def database_from(args: argparse.Namespace) -> tuple[Settings, Any]:
    """The settings and a session factory on the migrated database, for a command's handler."""
    from pipeline.adapters.db.session import open_database

    settings = settings_from(args)
    return settings, open_database(settings)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _error(args: argparse.Namespace, code: str, message: str) -> int:
    if getattr(args, "json", False):
        print_json({"error": {"code": code, "message": message}})
    else:
        print(f"error [{code}]: {message}", file=sys.stderr)
    return 2


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
        return _error(args, exc.code, exc.message)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the edge: a library's error becomes one line, not a traceback
        from pipeline.adapters.db.session import database_error

        translated = database_error(exc, settings_from(args).db_url)
        if translated is not None:
            return _error(args, translated.code, translated.message)
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            return _error(args, "os.error", f"{exc.strerror or exc}{where}")
        raise


if __name__ == "__main__":
    sys.exit(main())
