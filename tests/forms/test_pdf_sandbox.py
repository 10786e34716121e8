"""The sandbox that runs PDF parsing in a child process: limits, errors across the boundary, reuse."""

from __future__ import annotations

import pytest

from pipeline import errors
from pipeline.forms import sandbox
from pipeline.forms.sandbox import Sandbox, error_from_code, run_limited
from pipeline.settings import Limits
from tests.processes import running

pytestmark = pytest.mark.pure


@pytest.fixture(scope="module")
def box():
    b = Sandbox(memory_mb=512)
    yield b
    b.close()


def test_plain_data_in_and_out(box: Sandbox):
    assert box.run("json:loads", '{"a": [1, "æøå"]}', seconds=30) == {"a": [1, "æøå"]}


def test_a_slow_task_is_killed_and_the_next_one_runs(box: Sandbox):
    started = box.started
    with pytest.raises(errors.LimitExceeded, match="longer than"):
        box.run("time:sleep", 30, seconds=0.5)
    assert box.run("json:loads", "1", seconds=30) == 1
    assert box.started == started + 1  # a fresh child replaced the killed one


def test_memory_limit(box: Sandbox):
    with pytest.raises(errors.LimitExceeded, match="memory"):
        box.run("builtins:bytearray", 2 * 1024**3, seconds=30)
    assert box.run("json:loads", "2", seconds=30) == 2


@pytest.mark.parametrize("target,args", [("os:abort", ()), ("os:_exit", (3,))])
def test_a_child_that_dies_is_a_typed_error(box: Sandbox, target: str, args: tuple):
    with pytest.raises(errors.CorruptFile):
        box.run(target, *args, seconds=30)
    assert box.run("json:loads", "3", seconds=30) == 3


def test_library_exceptions_become_corrupt_file(box: Sandbox):
    with pytest.raises(errors.CorruptFile, match="JSONDecodeError"):
        box.run("json:loads", "{", seconds=30)


def test_pipeline_errors_keep_their_class_and_code():
    with pytest.raises(errors.CorruptFile) as info:
        run_limited("pipeline.forms.pdf_parse:parse_pdf", b"%PDF-1.4\nnonsense", "x.pdf", 30)
    assert info.value.code == "unreadable.corrupt"
    for cls in (errors.EncryptedFile, errors.ScannedFile, errors.NotAForm, errors.LimitExceeded):
        exc = error_from_code(cls.code, "m", "norsk tekst")
        assert type(exc) is cls and exc.message_no == "norsk tekst"


def test_time_limit_from_settings():
    with pytest.raises(errors.LimitExceeded):
        run_limited("time:sleep", 10, limits=Limits(parse_seconds=0.3))


def test_shutdown_stops_children():
    run_limited("json:loads", "4")
    sandbox.shutdown()
    assert run_limited("json:loads", "5") == 5


_PARENT = """
import threading, time
from pipeline.forms.sandbox import Sandbox
box = Sandbox(memory_mb=512)
threading.Thread(target=lambda: box.run("time:sleep", 3600, seconds=3600), daemon=True).start()
while box._tasks == 0:  # the child has started and is being handed the task
    time.sleep(0.01)
time.sleep(0.5)
print(box._proc.pid, flush=True)
threading.Event().wait()
"""


def test_a_child_dies_with_its_worker_killed_mid_read():
    """kill -9 of the worker while its child reads: the child goes too (no orphan reading on for an hour)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and running(child):
            time.sleep(0.05)
        assert not running(child), "the sandbox child outlived its worker"
    finally:
        if parent.poll() is None:
            parent.kill()
        if child and running(child):
            os.kill(child, signal.SIGKILL)  # the orphan this test is about: never left behind

