"""Run an untrusted-input parser in a child process that can be killed.

PDF parsing (and anything else whose worst case takes seconds per page or gigabytes) runs through
`run_limited(target, *args, limits=...)`:

- the child is a fresh interpreter (no inherited locks, threads or state) with `resource.RLIMIT_AS` set to `Limits.parse_memory_mb`;
- the child dies with its parent: on Linux it asks the kernel for SIGKILL when the thread that started it
  ends (prctl PR_SET_PDEATHSIG), and leaves at once if that parent was already gone, so a worker killed
  with kill -9 leaves no parser running on under a bare supervisor (the worker reads on its main thread);
- the caller waits at most `Limits.parse_seconds` for the answer, then kills the child;
- arguments and results cross the pipe as plain data (bytes, str, numbers, dicts, lists);
- a `PipelineError` raised in the child comes back as (code, message, message_no) and is re-raised
  in the caller as the `pipeline.errors` class for that code; any other exception in the child is a
  `CorruptFile` (the parser choked on the input); a child that dies is a `LimitExceeded` (killed,
  out of memory) or a `CorruptFile` (crashed).

Starting an interpreter and importing pdfplumber costs about half a second, so a worker child is
kept and reused; it is replaced after it is killed, after a MemoryError (its heap may be left in a
bad state) and after `RECYCLE_AFTER` tasks (bounding slow leaks in the parser).

`target` is "package.module:function"; the function must be importable in a fresh interpreter.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipeline import errors
from pipeline.settings import Limits

RECYCLE_AFTER = 200
START_SECONDS = 60.0  # a loaded machine can take a while to start an interpreter

_ERROR_CLASSES: dict[str, type[errors.PipelineError]] = {
    cls.code: cls
    for cls in (
        errors.CorruptFile,
        errors.EncryptedFile,
        errors.ScannedFile,
        errors.UnsupportedFormat,
        errors.NotAForm,
        errors.LimitExceeded,
        errors.UnreadableError,
        errors.FormError,
    )
}


def error_from_code(code: str, message: str, message_no: str | None = None) -> errors.PipelineError:
    """The pipeline.errors instance for a code that crossed a process boundary."""
    cls = _ERROR_CLASSES.get(code, errors.FormError)
    exc = cls(message, message_no=message_no)
    if exc.code != code:  # an unknown code keeps its text
        exc.code = code
    return exc


def _call(target: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run target(*args) and fold the outcome into plain data (runs in the child)."""
    try:
        module_name, _, func_name = target.partition(":")
        func = getattr(importlib.import_module(module_name), func_name)
        return ("ok", func(*args))
    except errors.PipelineError as exc:
        return ("err", exc.code, exc.message, exc.message_no)
    except MemoryError:
        return ("err", errors.LimitExceeded.code, "out of memory while reading the file", None, "recycle")
    except RecursionError:
        return ("err", errors.CorruptFile.code, "the file's structure is nested too deeply", None)
    except Exception as exc:  # noqa: BLE001 - the parser choked on hostile input: that is a corrupt file
        return ("err", errors.CorruptFile.code, f"could not read the file ({type(exc).__name__}: {exc})"[:500], None)


PR_SET_PDEATHSIG = 1
PARENT_ENV = "PIPELINE_SANDBOX_PARENT"


def die_with_parent(parent: int | None) -> None:
    """SIGKILL for this process when its parent ends (Linux); exit now if the parent is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(0)  # the parent died before the death signal was set: nobody is waiting for us


def _child_main(fd: int, memory_mb: int, preload: tuple[str, ...]) -> None:
    """The worker loop: set the memory limit, import the parsers, then answer tasks until EOF."""
    parent = os.environ.get(PARENT_ENV, "")
    die_with_parent(int(parent) if parent.isdigit() else None)
    conn = Connection(fd)
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # no resource module (not POSIX): run without it
        pass
    # Ctrl-C in a terminal goes to the whole process group; the parent decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # pdfminer logs a warning for every odd object in hostile files; the parent reports the outcome.
    logging.disable(logging.WARNING)
    for name in preload:
        with contextlib.suppress(Exception):  # reported again when a task needs it
            importlib.import_module(name)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            target, args = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_call(target, args))


class Sandbox:
    """One reusable worker child for one kind of parser (thread-safe: tasks run one at a time).

    The child is a fresh interpreter started with `python -m pipeline.forms.sandbox` (not
    multiprocessing's "spawn", which re-imports the caller's __main__ and so breaks scripts
    without a main guard); it talks over a socket pair with multiprocessing's Connection.
    """

    def __init__(self, memory_mb: int = Limits.parse_memory_mb, preload: tuple[str, ...] = ()) -> None:
        self.memory_mb = memory_mb
        self.preload = preload
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._tasks = 0
        self.started = 0  # children started so far (for benchmarks and tests)

    # -- child lifecycle -------------------------------------------------------------------------
    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env[PARENT_ENV] = str(os.getpid())
        # Tesseract's OpenMP threads make it 3-7x slower on a 2-core machine shared with other work, and
        # numpy's BLAS pool is unused here and costly under RLIMIT_AS: one thread each. This must be in the
        # child's environment before the libraries load (libgomp reads it once, at load time).
        env["OMP_THREAD_LIMIT"] = env["OPENBLAS_NUM_THREADS"] = "1"
        cmd = [sys.executable, "-m", "pipeline.forms.sandbox", str(theirs.fileno()), str(self.memory_mb),
               *self.preload]
        try:
            proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                    close_fds=True)
        finally:
            theirs.close()
        conn = Connection(os.dup(ours.fileno()))
        ours.close()
        self._proc, self._conn, self._tasks = proc, conn, 0
        self.started += 1
        if not conn.poll(START_SECONDS):
            self._stop()
            raise errors.LimitExceeded("the parser process did not start in time")
        try:
            conn.recv()
        except (EOFError, OSError) as exc:
            self._stop()
            raise errors.LimitExceeded("the parser process could not start (memory limit too low?)") from exc

    def _stop(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- running a task --------------------------------------------------------------------------
    def run(self, target: str, *args: Any, seconds: float) -> Any:
        with self._lock:
            if not self._alive() or self._tasks >= RECYCLE_AFTER:
                self._stop()
                self._start()
            assert self._conn is not None and self._proc is not None
            self._tasks += 1
            try:
                self._conn.send((target, args))
            except (OSError, ValueError) as exc:
                self._stop()
                raise errors.LimitExceeded(f"could not hand the file to the parser process ({exc})") from exc
            answer = self._wait(seconds)
        if answer[0] == "ok":
            return answer[1]
        _, code, message, message_no, *rest = answer
        if rest:  # the child asked to be replaced (after a MemoryError)
            self.close()
        raise error_from_code(code, message, message_no)

    def _wait(self, seconds: float) -> tuple[Any, ...]:
        assert self._conn is not None and self._proc is not None
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop()
                raise errors.LimitExceeded(f"reading the file took longer than {seconds:g} seconds")
            # poll() also wakes when the child dies (the socket reaches EOF).
            if self._conn.poll(min(left, 1.0)):
                try:
                    answer: tuple[Any, ...] = self._conn.recv()
                    return answer
                except (EOFError, OSError):
                    break
            if not self._alive():
                break
        proc = self._proc
        self._stop()
        return_code = proc.returncode if proc.returncode is not None else proc.poll()
        raise _death_error(return_code)


def _death_error(exitcode: int | None) -> errors.FormError:
    if exitcode is not None and exitcode < 0:
        sig = -exitcode
        if sig in (signal.SIGKILL, signal.SIGTERM):
            return errors.LimitExceeded(
                f"the parser process was killed (signal {sig}), probably for using too much memory"
            )
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return errors.CorruptFile(f"the parser crashed on this file ({name})")
    return errors.CorruptFile(f"the parser process ended unexpectedly (exit code {exitcode})")


_SANDBOXES: dict[tuple[int, int, tuple[str, ...]], Sandbox] = {}
_SANDBOXES_LOCK = threading.Lock()


def shared_sandbox(memory_mb: int, preload: tuple[str, ...] = ()) -> Sandbox:
    """The process-wide sandbox for this memory limit and preload set (created on first use).

    Keyed by our pid as well: a process forked from one that had a sandbox must not talk to the
    parent's child over the inherited socket.
    """
    key = (os.getpid(), memory_mb, preload)
    with _SANDBOXES_LOCK:
        box = _SANDBOXES.get(key)
        if box is None:
            box = _SANDBOXES[key] = Sandbox(memory_mb, preload)
        return box


def run_limited(target: str, *args: Any, limits: Limits | None = None, preload: tuple[str, ...] = (),
                seconds: float | None = None) -> Any:
    """Run `target(*args)` ("module:function") in a limited child; plain data in, plain data out.
    `seconds` shortens the time limit (what the caller's mail has left of its budget)."""
    limits = limits or Limits()
    box = shared_sandbox(limits.parse_memory_mb, preload)
    allowed = limits.parse_seconds if seconds is None else max(0.0, min(limits.parse_seconds, seconds))
    return box.run(target, *args, seconds=allowed)


def shutdown() -> None:
    """Stop every worker child (tests, and a worker that exits)."""
    with _SANDBOXES_LOCK:
        boxes = [box for key, box in _SANDBOXES.items() if key[0] == os.getpid()]
        _SANDBOXES.clear()
    for box in boxes:
        box.close()


atexit.register(shutdown)


# -- FormReading <-> plain data (what crosses the pipe) ------------------------------------------
def reading_to_data(reading: Any) -> dict[str, Any]:
    """A FormReading as plain dicts and lists (picklable without our classes)."""

    def fv(v: Any) -> dict[str, Any]:
        where = {"kind": v.where.kind, "detail": dict(v.where.detail)} if v.where else None
        return {"value": v.value, "where": where}

    return {
        "form": reading.form,
        "filename": reading.filename,
        "format": reading.format,
        "method": reading.method,
        "fields": {path: fv(v) for path, v in reading.fields.items()},
        "centres": [fv(c) for c in reading.centres],
        "source_extra": dict(getattr(reading, "source_extra", {}) or {}),
        "pictures": [dict(vars(p)) for p in getattr(reading, "pictures", [])],
    }


def reading_from_data(data: dict[str, Any]) -> Any:
    from pipeline.forms.reading import FieldValue, FormReading, PagePicture, Provenance

    def fv(d: dict[str, Any]) -> FieldValue:
        w = d.get("where")
        return FieldValue(d.get("value"), Provenance(w["kind"], w.get("detail") or {}) if w else None)

    return FormReading(
        form=data["form"],
        filename=data.get("filename"),
        format=data["format"],
        method=data["method"],
        fields={path: fv(v) for path, v in data.get("fields", {}).items()},
        centres=[fv(c) for c in data.get("centres", [])],
        source_extra=dict(data.get("source_extra") or {}),
        pictures=[PagePicture(**p) for p in data.get("pictures", [])],
    )


if __name__ == "__main__":  # the child: python -m pipeline.forms.sandbox FD MEMORY_MB [PRELOAD...]
    _child_main(int(sys.argv[1]), int(sys.argv[2]), tuple(sys.argv[3:]))
