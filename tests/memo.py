"""Work the suite would otherwise do again and again, done once per test run (installed by tests/conftest.py).

- OCR: reading a scan costs seconds a page, and the same fixture scans are read by the reader's tests, the
  worker's, the web's and the CLI's, on each database. A reading is kept on disk under the run's temporary
  folder (shared by the xdist workers, so the other process takes it too), keyed by a hash of everything that
  goes to the sandbox child: the target, the file's bytes, the options, the memory limit. Only what the file
  itself decides is kept (a reading, or "this is not a readable form"); a time limit or a crash never is, and a
  call allowed less time than the real read took (and under TIME_LIMIT_TESTS) reads for real, so a test of a
  time limit still meets it. While one process reads a scan, another that wants the same one waits for it
  instead of reading it too (a file lock).
- Argon2: hashing a password costs about half a second on a loaded 2-core machine (64 MiB, 3 passes), and
  nearly every web test makes the same operator and logs in. The first hash of a password with given
  parameters is kept and handed out again, and a verification of the same (hash, password) gives the same
  answer; the real library does the first of each, so a wrong password is still refused by Argon2 itself.

Processes the tests start (`pipeline serve`, `pipeline worker`) do all of this for real, unless the test hands
them `for_subprocess(env)`: then a Python process takes the kept OCR readings too (the fresh clone's demo,
which reads the fixture scans the other tests read).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

OCR_TARGETS = "pipeline.forms.ocr."
# A call allowed less time than this (and than the kept read took) reads for real: a test of a time limit gives
# a fraction of a second, where a page costs seconds; a mail's budget left over (tens of seconds) takes the kept
# reading even on a machine so loaded that the first read took longer.
TIME_LIMIT_TESTS = 5.0
# What the scan's own content decides; LimitExceeded (time, memory) and a crashed child are not kept.
KEPT_ERRORS = ("unreadable.scanned", "unreadable.encrypted", "not_a_form", "unsupported.format")


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of this test run that every xdist worker of the run sees (each has a basetemp of its own
    inside the controller's)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def ocr_read_once(folder: Path) -> Iterator[None]:
    from pipeline import errors
    from pipeline.forms.sandbox import Sandbox, error_from_code

    real_run = Sandbox.run

    def run(self: Sandbox, target: str, *args: Any, seconds: float) -> Any:
        if not target.startswith(OCR_TARGETS):
            return real_run(self, target, *args, seconds=seconds)
        key = hashlib.sha256(pickle.dumps((target, self.memory_mb, self.preload, args), protocol=5)).hexdigest()
        kept = folder / f"{key}.pickle"
        with open(folder / f"{key}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process reading this scan now: wait for its reading
            if kept.exists():
                took, outcome = pickle.loads(kept.read_bytes())
                if seconds >= min(took, TIME_LIMIT_TESTS):
                    if outcome[0] == "ok":
                        return outcome[1]
                    raise error_from_code(*outcome[1:])
            started = time.monotonic()
            try:
                result = real_run(self, target, *args, seconds=seconds)
            except errors.FormError as exc:
                if exc.code in KEPT_ERRORS:
                    _keep(kept, time.monotonic() - started, ("error", exc.code, exc.message, exc.message_no))
                raise
            _keep(kept, time.monotonic() - started, ("ok", result))
            return result

    Sandbox.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        Sandbox.run = real_run  # type: ignore[method-assign]


def _keep(path: Path, took: float, outcome: tuple[Any, ...]) -> None:
    part = path.with_suffix(f".{os.getpid()}.part")
    part.write_bytes(pickle.dumps((took, outcome), protocol=5))
    part.replace(path)


@contextmanager
def argon2_once() -> Iterator[None]:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify
    hashes: dict[tuple[Any, ...], str] = {}
    verdicts: dict[tuple[Any, ...], tuple[type[Exception], tuple[Any, ...]] | None] = {}

    def hash(self: PasswordHasher, password: str | bytes, *, salt: bytes | None = None) -> str:  # noqa: A001
        if salt is not None:
            return real_hash(self, password, salt=salt)
        key = (self.time_cost, self.memory_cost, self.parallelism, self.hash_len, self.salt_len, self.type,
               password)
        if key not in hashes:
            hashes[key] = real_hash(self, password)
        return hashes[key]

    def verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        key = (hash, password)
        if key not in verdicts:
            try:
                real_verify(self, hash, password)
                verdicts[key] = None
            except VerificationError as exc:
                verdicts[key] = (type(exc), exc.args)
                raise
        verdict = verdicts[key]
        if verdict is not None:
            raise verdict[0](*verdict[1])
        return True

    PasswordHasher.hash = hash  # type: ignore[method-assign]
    PasswordHasher.verify = verify  # type: ignore[method-assign]
    try:
        yield
    finally:
        PasswordHasher.hash, PasswordHasher.verify = real_hash, real_verify  # type: ignore[method-assign]


SUBPROCESS_HOOK = Path(__file__).resolve().parent / "subprocess_memo"


def for_subprocess(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`env` for a Python process a test starts that should take the run's kept OCR readings too (a demo
    reading the fixture scans the tests read already): tests/subprocess_memo/sitecustomize.py patches its
    reader as this process's is patched."""
    return {**env, "PIPELINE_TEST_OCR_MEMO": str(shared_folder(tmp_path_factory, "ocr-readings")),
            "PYTHONPATH": os.pathsep.join(p for p in (str(SUBPROCESS_HOOK), env.get("PYTHONPATH")) if p)}
