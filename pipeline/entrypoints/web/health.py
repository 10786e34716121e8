"""GET /healthz and GET /metrics: for a load balancer, systemd and Prometheus, without a login.

Both are plain WSGI apps mounted in front of the Flask app (create_app), so that neither the login, the
session cookie nor CSRF applies to them, and they answer even when the UI's pages cannot. They carry
counts and times only, never a name, an address or a subject.

/healthz answers 200 when the database answers and mail is being taken in, 503 when the database does not
answer or a mail source has had no successful poll for PIPELINE_HEALTH_MINUTES (or its login failed).
Failed messages are reported ("status": "degraded") but keep 200: they are run again from this very UI,
which a load balancer must not take away for them; the alert rules in deploy/ watch them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app
from sqlalchemy.orm import Session, sessionmaker

from pipeline.entrypoints.web.metrics import registry_for
from pipeline.settings import Settings

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff")]


def health_app(session_factory: sessionmaker[Session], settings: Settings) -> WsgiApp:
    from pipeline.queries.health import health

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [*_HEADERS, ("Allow", "GET, HEAD")])
            return [b'{"status": "fail", "error": "method not allowed"}\n']
        try:
            with session_factory() as session:
                found = health(session, settings.worker.health_minutes)
        except Exception as exc:  # noqa: BLE001 - any failure to ask the database is "database unreachable"
            log.warning("healthz: the database did not answer: %s", exc.__class__.__name__)
            body: dict[str, object] = {"status": "fail", "database": "unreachable"}
            code = "503 Service Unavailable"
        else:
            body = found.to_json()
            code = "200 OK" if found.healthy else "503 Service Unavailable"
        start_response(code, _HEADERS)
        return [json.dumps(body).encode() + b"\n"]

    return app


def mount(flask_wsgi: WsgiApp, session_factory: sessionmaker[Session], settings: Settings) -> WsgiApp:
    """`flask_wsgi` with /healthz and /metrics answered before it."""
    routes = {"/healthz": health_app(session_factory, settings), "/metrics": make_wsgi_app(registry_for(session_factory, settings))}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO", ""))
        return (route or flask_wsgi)(environ, start_response)

    return app
