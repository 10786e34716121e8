"""One database session per request, closed when the request ends."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker


def factory() -> sessionmaker[Session]:
    return current_app.extensions["pipeline.session_factory"]


def session() -> Session:
    if "db" not in g:
        g.db = factory()()
    return g.db


def close(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
