"""`pipeline serve` (the operators' web UI) and `pipeline operators add|list|password|unlock`."""

from __future__ import annotations

import argparse
import getpass
import sys

from pipeline.cli import database_from


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[common], help="serve the operators' web UI")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    serve.set_defaults(handler=_serve)

    ops = sub.add_parser("operators", parents=[common], help="operator accounts for the web UI")
    opsub = ops.add_subparsers(dest="operators_command", required=True)
    add = opsub.add_parser("add", parents=[common], help="add an operator account")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_add)
    lst = opsub.add_parser("list", parents=[common], help="list operator accounts")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_list)
    pw = opsub.add_parser("password", parents=[common],
                          help="set a new password for an operator account (ends its open web sessions)")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw.set_defaults(handler=_password)
    unlock = opsub.add_parser("unlock", parents=[common], help="lift a lockout after failed logins")
    unlock.add_argument("name")
    unlock.set_defaults(handler=_unlock)


def _serve(args: argparse.Namespace) -> int:
    import waitress

    from pipeline.cli import settings_from
    from pipeline.web import create_app

    app = create_app(settings_from(args))
    print(f"serving on http://{args.host}:{args.port}/", file=sys.stderr)
    # waitress: a production WSGI server (pure Python, no C build), unlike werkzeug's development server.
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="pipeline")
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != password:
        print("error: the passwords differ", file=sys.stderr)
        return None
    return password


def _add(args: argparse.Namespace) -> int:
    from pipeline.db.session import unit_of_work
    from pipeline.web.accounts import add_operator

    password = _read_password(args)
    if password is None:
        return 2
    with unit_of_work(database_from(args)[1]) as session:
        add_operator(session, args.name, password, actor="cli")
    print(f"operator {args.name} added")
    return 0


def _password(args: argparse.Namespace) -> int:
    from pipeline.db.session import unit_of_work
    from pipeline.web.accounts import set_password

    password = _read_password(args)
    if password is None:
        return 2
    with unit_of_work(database_from(args)[1]) as session:
        set_password(session, args.name, password, actor="cli")
    print(f"operator {args.name}: new password set; open web sessions ended")
    return 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from pipeline.cli import print_json
    from pipeline.db.models import OperatorAccount
    from pipeline.web.accounts import is_locked

    with database_from(args)[1]() as session:
        accounts = list(session.scalars(select(OperatorAccount).order_by(OperatorAccount.username)))
        rows = [{"name": a.username, "active": a.active, "locked": is_locked(a),
                 "failed_logins": a.failed_logins, "created_at": a.created_at} for a in accounts]
    if getattr(args, "json", False):
        print_json(rows)
    else:
        for r in rows:
            flags = ("" if r["active"] else " inactive") + (" LOCKED" if r["locked"] else "")
            print(f"{r['name']}{flags}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from pipeline.db.session import unit_of_work
    from pipeline.web.accounts import unlock

    with unit_of_work(database_from(args)[1]) as session:
        unlock(session, args.name, actor="cli")
    print(f"operator {args.name} unlocked")
    return 0
