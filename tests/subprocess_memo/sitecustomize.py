"""Loaded when a Python process starts with this folder on PYTHONPATH (tests.memo.for_subprocess): the
process takes the test run's kept OCR readings as the tests' own process does (tests/memo.py), instead of
reading the same scan bytes once more.

Nothing of the pipeline is imported here: the process must import its own `pipeline` (a fresh clone's, from
its working folder) once its path is complete, so the reader is patched when it is first imported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

TARGET = "pipeline.forms.sandbox"
_HELD: list[object] = []


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def find_spec(self, name: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name != TARGET:
            return None
        sys.meta_path.remove(self)  # once: find the real module, then patch it after it has run
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        real_exec, folder = spec.loader.exec_module, self.folder

        def exec_module(module: ModuleType) -> None:
            real_exec(module)
            from pathlib import Path

            from tests import memo

            kept = memo.ocr_read_once(Path(folder))
            kept.__enter__()
            _HELD.append(kept)  # for the life of the process (a collected context would undo the patch)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_folder = os.environ.get("PIPELINE_TEST_OCR_MEMO")
if _folder:
    sys.meta_path.insert(0, _PatchOnImport(_folder))
