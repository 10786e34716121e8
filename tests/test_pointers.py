"""Docs that stay true: every module, function or file that the code's docstrings and comments name exists."""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.pure

_DOTTED = re.compile(r"(?<![\w./\"-])(pipeline(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?![\w\"])")
_PATH = re.compile(r"(?<![\w./-])((?:pipeline|tests|templates|docs|reference|scripts|deploy|bench|tools)/[\w./-]*\w)")


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


# Named on purpose although not in the source tree: the wheel's copy of templates/ (setup.py puts it there).
_ELSEWHERE = {"pipeline/templates"}


def _sources() -> list[Path]:
    return sorted(p for p in (REPO / "pipeline").rglob("*.py") if "versions" not in p.parts)


def _prose(path: Path) -> Iterator[tuple[int, str]]:
    """The docstrings' and comments' lines of a file, with their line numbers (string values in the code,
    such as "pipeline.session_factory", are keys and codes, not pointers)."""
    text = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                for offset, line in enumerate(first.value.value.splitlines()):
                    yield first.lineno + offset, line
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string


def test_every_dotted_name_in_the_code_exists() -> None:
    missing = []
    for path in _sources():
        for lineno, line in _prose(path):
            for name in _DOTTED.findall(line):
                name = name.rstrip(".")
                if not _resolves(name):
                    missing.append(f"{path.relative_to(REPO)}:{lineno}: {name}")
    assert missing == [], "names that do not exist:\n" + "\n".join(missing)


def test_every_repository_path_in_the_code_exists() -> None:
    missing = []
    for path in _sources():
        for lineno, line in _prose(path):
            for name in _PATH.findall(line):
                name = name.rstrip(".").rstrip("/")
                if "*" in name or "{" in name or name in _ELSEWHERE:
                    continue
                if not (REPO / name).exists():
                    missing.append(f"{path.relative_to(REPO)}:{lineno}: {name}")
    assert missing == [], "paths that do not exist:\n" + "\n".join(missing)
