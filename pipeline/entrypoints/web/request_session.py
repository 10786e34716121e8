"""The database as a request sees it: a read session (closed when the request ends, never committed)
for the read models, and the session factory the use cases open their units of work on."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["pipeline.session_factory"]  # type: ignore[no-any-return]


def reads() -> Session:
    if "reads" not in g:
        g.reads = session_factory()()
    return g.reads  # type: ignore[no-any-return]


def close(_exc: BaseException | None = None) -> None:
    session = g.pop("reads", None)
    if session is not None:
        session.close()
