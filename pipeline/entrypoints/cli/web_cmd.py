"""`pipeline serve` (the operators' web UI) and `pipeline operators add|list|password|unlock`."""

from __future__ import annotations

import argparse
import getpass
import sys

from pipeline.core.clock import cli_time
from pipeline.entrypoints.cli import database_from, group, json_option, print_json
from pipeline.entrypoints.cli.output import table
from pipeline.errors import ConfigError, PipelineError
from pipeline.settings import WebSettings


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


NO_OPERATORS = ("Ingen operatørkontoer ennå: legg til en med `pipeline operators add NAVN` (som tjenestens bruker, "
                "med samme --env-file), ellers kan ingen logge inn.")
# Words that mark an example's value (deploy/pipeline.env.example), never a real key.
_PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "example", "secret-key-here")
MIN_SECRET = 32


def check_secret_key(web: WebSettings) -> None:
    """`pipeline serve` refuses a key that would let anyone forge a session: the example's placeholder, a
    short one, or none where the cookie is Secure (production; only plain HTTP on this machine's loopback,
    PIPELINE_WEB_COOKIE_SECURE=0, falls back to a key generated once in the data folder)."""
    how = "set PIPELINE_WEB_SECRET_KEY in the env file to 64 random hex characters: " \
          "python3 -c 'import secrets; print(secrets.token_hex(32))'"
    key = web.secret_key
    if key is None:
        if web.cookie_secure:
            raise ConfigError(f"PIPELINE_WEB_SECRET_KEY is not set; {how}", code="config.secret_key")
        return
    if any(word in key.lower() for word in _PLACEHOLDERS):
        raise ConfigError(f"PIPELINE_WEB_SECRET_KEY is the example's placeholder; {how}", code="config.secret_key")
    if len(key) < MIN_SECRET:
        raise ConfigError(f"PIPELINE_WEB_SECRET_KEY is {len(key)} characters, at least {MIN_SECRET} are needed; {how}",
                          code="config.secret_key")


def _serve(args: argparse.Namespace) -> int:
    from waitress.server import create_server

    from pipeline.adapters.systemd import notify
    from pipeline.entrypoints.cli import settings_from
    from pipeline.entrypoints.web import create_app
    from pipeline.queries.accounts import accounts

    settings = settings_from(args)
    check_secret_key(settings.web)
    app = create_app(settings)
    with app.extensions["pipeline.session_factory"]() as session:
        if not accounts(session):
            print(NO_OPERATORS, file=sys.stderr)
    # waitress: a production WSGI server (pure Python, no C build), unlike werkzeug's development server.
    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="pipeline")
    print(f"Nettgrensesnittet svarer på http://{args.host}:{args.port}/ (helsesjekk /healthz, målinger /metrics)",
          file=sys.stderr)
    if settings.web.cookie_secure:
        print("Innloggingen går bare over HTTPS: åpne siden gjennom HTTPS-proxyen, eller sett "
              "PIPELINE_WEB_COOKIE_SECURE=0 for å logge inn over vanlig HTTP på denne maskinen.", file=sys.stderr)
    notify("READY=1")  # listening: systemd (Type=notify) may start what comes after
    try:
        server.run()
    finally:
        notify("STOPPING=1")
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
    print(f"Operatør {args.name} er lagt til.")
    return 0


def _password(args: argparse.Namespace) -> int:
    from pipeline.usecases import accounts

    password = _read_password(args)
    accounts.change_password(database_from(args)[1], args.name, password, actor="cli")
    print(f"Operatør {args.name}: nytt passord er satt, og åpne økter i nettleseren er avsluttet.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from pipeline.queries.accounts import accounts

    with database_from(args)[1]() as session:
        found = accounts(session)
    if getattr(args, "json", False):
        print_json([{"name": a.username, "active": a.active, "locked": a.locked, "failed_logins": a.failed_logins,
                     "created_at": a.created_at} for a in found])
    else:
        rows = found
        lines = [[a.username, ("aktiv" if a.active else "inaktiv") + (", LÅST" if a.locked else ""),
                  cli_time(a.created_at)[:16]] for a in found]
        for line in table(lines, widths=(None, 0, 16), header=("Navn", "Status", "Opprettet")):
            print(line)
        if not rows:
            print(NO_OPERATORS)
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from pipeline.usecases import accounts

    accounts.unlock_account(database_from(args)[1], args.name, actor="cli")
    print(f"Operatør {args.name} er låst opp.")
    return 0
