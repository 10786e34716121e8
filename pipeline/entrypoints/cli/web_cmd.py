"""`pipeline serve` (the operators' web UI) and `pipeline operators add|list|password|unlock`."""

from __future__ import annotations

import argparse
import getpass
import sys

from pipeline.entrypoints.cli import database_from, group, json_option, print_json
from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[common], help="serve the operators' web UI",
                           description="Serve the operators' web UI (waitress). Behind the organisation's "
                                       "HTTPS proxy in production; on 127.0.0.1 by default.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    serve.set_defaults(handler=_serve)

    opsub = group(sub, "operators", "operator accounts for the web UI", common)
    add = opsub.add_parser("add", parents=[common], help="add an operator account")
    add.add_argument("name", help="the login name (letters, digits, . _ @ -)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (for scripts; otherwise it is asked for)")
    add.set_defaults(handler=_add)
    lst = opsub.add_parser("list", parents=[common], help="list operator accounts and whether they are locked")
    json_option(lst)
    lst.set_defaults(handler=_list)
    pw = opsub.add_parser("password", parents=[common],
                          help="set a new password for an operator account (ends its open web sessions)")
    pw.add_argument("name", help="the login name")
    pw.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input (for scripts; otherwise it is asked for)")
    pw.set_defaults(handler=_password)
    unlock = opsub.add_parser("unlock", parents=[common], help="lift a lockout after failed logins")
    unlock.add_argument("name", help="the login name")
    unlock.set_defaults(handler=_unlock)


def _serve(args: argparse.Namespace) -> int:
    import waitress

    from pipeline.entrypoints.cli import settings_from
    from pipeline.entrypoints.web import create_app

    settings = settings_from(args)
    app = create_app(settings)
    print(f"serving on http://{args.host}:{args.port}/", file=sys.stderr)
    if settings.web.cookie_secure:
        print("the session cookie goes over HTTPS only: open the UI through the HTTPS proxy, or set "
              "PIPELINE_WEB_COOKIE_SECURE=0 to log in over plain HTTP on this machine", file=sys.stderr)
    # waitress: a production WSGI server (pure Python, no C build), unlike werkzeug's development server.
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="pipeline")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise PipelineError("no terminal to ask for the password: give it on standard input with "
                            "--password-stdin", code="cli.no_terminal")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != password:
        raise PipelineError("the two passwords differ; nothing was changed", code="cli.usage")
    return password


def _add(args: argparse.Namespace) -> int:
    from pipeline.usecases import accounts

    password = _read_password(args)
    accounts.add(database_from(args)[1], args.name, password, actor="cli")
    print(f"operator {args.name} added")
    return 0


def _password(args: argparse.Namespace) -> int:
    from pipeline.usecases import accounts

    password = _read_password(args)
    accounts.change_password(database_from(args)[1], args.name, password, actor="cli")
    print(f"operator {args.name}: new password set; open web sessions ended")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.queries.accounts import accounts

    with database_from(args)[1]() as session:
        rows = [{"name": a.username, "active": a.active, "locked": a.locked, "failed_logins": a.failed_logins,
                 "created_at": a.created_at} for a in accounts(session)]
    if getattr(args, "json", False):
        print_json(rows)
    else:
        for r in rows:
            flags = ("" if r["active"] else " inactive") + (" LOCKED" if r["locked"] else "")
            print(f"{r['name']}{flags}")
        if not rows:
            print("no operator accounts yet: pipeline operators add NAME")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from pipeline.usecases import accounts

    accounts.unlock_account(database_from(args)[1], args.name, actor="cli")
    print(f"operator {args.name} unlocked")
    return 0
