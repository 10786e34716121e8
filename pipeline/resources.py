"""Where the project's non-Python files are: the e-mail and web templates.

The source tree keeps them at the top level (`templates/`, as the project's layout requires); a built
wheel carries a copy inside the package (`pipeline/templates/`, put there by setup.py's build step), so
that a regular `pip install .` finds them as an editable install does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def templates_dir() -> Path:
    packaged = _PACKAGE / "templates"
    if packaged.is_dir():
        return packaged
    source = _PACKAGE.parent / "templates"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"templates not found in {packaged} or {source}: the installation is incomplete")
