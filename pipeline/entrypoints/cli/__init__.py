"""The `pipeline` command for IMDi support: take in mail, look at the queue, decide cases, send replies.

Each group of commands lives in its own module with a `register(sub, common)`; the work is done by the
service's use cases and read models, never here. Every error is one line on stderr,
`error [code]: what went wrong and what to do` (JSON with --json); a traceback means a bug.

Exit status (README, "Exit status"): 0 done; 1 the command ran and found something or refused (a form
that cannot be read, findings, an unhealthy status, a case in another state, a name already taken, a case
that does not exist); 2 it could not run as asked: a usage error, a setting, the env file, the database,
a file that cannot be read. A reader that closes the pipe (`pipeline parse ... | head`) ends it quietly.
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
    base.add_argument("--env-file", default=argparse.SUPPRESS, metavar="FILE",
                      help="read PIPELINE_* settings from FILE, as systemd's EnvironmentFile= does; its values "
                           "win over the environment's (default: $PIPELINE_ENV_FILE, else none)")
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
    """The settings and a session session_factory on the migrated database, for a command's handler."""
    from pipeline.adapters.db.session import open_database

    settings = settings_from(args)
    return settings, open_database(settings)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# Codes of errors that mean the command could not run as asked (exit 2): a usage error (an option, a value,
# an id that names nothing), a setting, the database, a file, the mail server or relay. Every other error is
# a refusal by the rules (a case in another state, a name or mobile already taken): exit 1.
_SETUP_PREFIXES = ("cli.", "config.", "db.", "os.", "file.", "mail.")
_SETUP_SUFFIXES = (".usage", ".not_found", ".invalid", ".required")
_SETUP_CODES = frozenset({"registry.empty", "status.unknown_source", "registry.user_not_found",
                          "registry.user_id_invalid", "registry.user_id_required"})
OK, FINDING, SETUP = 0, 1, 2


def exit_code(code: str) -> int:
    """1 or 2 for an error's code (see the module's docstring)."""
    if code.startswith(_SETUP_PREFIXES) or code.endswith(_SETUP_SUFFIXES) or code in _SETUP_CODES:
        return SETUP
    return FINDING


def _error(args: argparse.Namespace, code: str, message: str) -> int:
    if getattr(args, "json", False):
        print_json({"error": {"code": code, "message": message}})
    else:
        print(f"error [{code}]: {message}", file=sys.stderr)
    return exit_code(code)


class OsloFormatter(logging.Formatter):
    """Log lines in the time everything else is shown in: Oslo, to the second, with its offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from datetime import UTC, datetime

        from pipeline.core.clock import cli_time

        return cli_time(datetime.fromtimestamp(record.created, UTC))


def _log_to_stderr(verbose: bool) -> None:
    # As logging.basicConfig: only where nothing handles the logs yet (a host such as pytest keeps its own).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OsloFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)


def load_env_file(args: argparse.Namespace) -> str | None:
    """The env file named by --env-file or $PIPELINE_ENV_FILE, put into the environment (its values win)."""
    import os

    from pipeline.settings import read_env_file

    path = getattr(args, "env_file", None) or os.environ.get("PIPELINE_ENV_FILE") or None
    if path:
        os.environ.update(read_env_file(path))
    return path


def _quiet_closed_pipe() -> int:
    """The reader went away (`| head`): nothing more to say, and no traceback at exit either."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _log_to_stderr(bool(getattr(args, "verbose", False)))
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        load_env_file(args)
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at the interpreter's exit
        return code
    except BrokenPipeError:
        return _quiet_closed_pipe()
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
