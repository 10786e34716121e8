"""The key that signs web sessions: configured, or generated once and kept in the data folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pipeline.settings import WebSettings


def secret_key_for(web: WebSettings, data_dir: Path) -> str:
    """The configured key, else one generated once and kept (mode 0600) so sessions survive restarts."""
    if web.secret_key:
        return web.secret_key
    path = data_dir / "web-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
