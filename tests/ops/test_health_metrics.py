"""Operations' view through the real servers: GET /healthz and /metrics of `pipeline serve`, the worker's
`--metrics-port` scraped over HTTP and its sd_notify messages to systemd, and the example alert rules
naming only metrics the servers serve."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.db.models import MailboxState, Message, Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.core.clock import now_utc
from pipeline.settings import Settings
from pipeline.usecases.ingest import ingest
from pipeline.usecases.mailboxes import ensure_state as ensure_mailbox_state
from tests.conftest import FIXTURES, REPO
from tests.web.server import free_port, serve

FIXTURE = "docx-plain.eml"
SENDER = re.compile(rb"^From:.*?([\w.+-]+@[\w.-]+)", re.MULTILINE)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _personal(raw: bytes) -> list[bytes]:
    """The fixture's sender address and subject: neither may appear in what is served without a login."""
    sender = SENDER.search(raw)
    subject = re.search(rb"^Subject: (.+)$", raw, re.MULTILINE)
    assert sender and subject
    return [sender.group(1), subject.group(1).strip()]


def test_healthz_and_metrics_of_the_web_server(settings: Settings, db: sessionmaker[Session]) -> None:
    raw = (FIXTURES / FIXTURE).read_bytes()
    ingest(db, raw, source=None, settings=settings)
    ensure_mailbox_state(db, "imap:post@imdi.no")
    with unit_of_work(db) as s:
        s.execute(update(MailboxState).values(last_poll_ok_at=now_utc() - timedelta(minutes=2)))
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(settings.data_dir / "notify"))
    systemd.settimeout(60)
    with systemd, serve(settings.data_dir, settings.db_url,
                        extra_env={"NOTIFY_SOCKET": str(settings.data_dir / "notify")}) as url:
        assert systemd.recv(100) == b"READY=1"  # Type=notify: it listens
        status, body = _get(url + "/healthz")  # no login
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok" and health["database"] == "ok", health
        assert health["failed_messages"] == 0 and health["mailbox_problems"] == 0
        assert 100 <= health["seconds_since_last_poll"] < 600

        # A failed web login is counted (through the real login form, with its CSRF token).
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(url + "/logg-inn", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        form = urllib.parse.urlencode({"username": "ola", "password": "feil", "csrf_token": token.group(1)})
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(url + "/logg-inn", data=form.encode(), timeout=10)
        assert refused.value.code == 401

        status, text = _get(url + "/metrics")
        assert status == 200
        samples = _samples(text.decode())
        with db() as s:
            outcome = s.scalar(select(Message.outcome))
            state, kind = s.execute(select(Task.state, Task.kind)).one()
            replies = dict(s.execute(select(Reply.state, func.count()).group_by(Reply.state)).all())
        assert samples[("pipeline_database_up", ())] == 1
        assert samples[("pipeline_messages", (("outcome", outcome),))] == 1
        assert samples[("pipeline_cases", (("kind", kind), ("state", state)))] == 1
        assert {k[1][0][1]: v for k, v in samples.items() if k[0] == "pipeline_replies"} == replies
        assert 100 <= samples[("pipeline_seconds_since_last_poll", (("mailbox", "imap:post@imdi.no"),))] < 600
        assert samples[("pipeline_mailbox_login_failed", (("mailbox", "imap:post@imdi.no"),))] == 0
        assert samples[("pipeline_web_login_failures", ())] == 1
        assert samples[("pipeline_parse_seconds_count", ())] == 0  # forms are read by the worker, not here
        for secret in _personal(raw):
            assert secret not in body and secret not in text

        # The example alert rules name only metrics the servers serve (promtool is not in Debian's packages
        # without the whole Prometheus server; this reads them as Prometheus would load them).
        served = {name for name, _ in samples} | {"up"}
        rules = yaml.safe_load((REPO / "deploy" / "alert-rules.yml").read_text())
        alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
        assert {"PipelineMailboxNotPolled", "PipelineFailedMessages", "PipelineFailedReplies",
                "PipelineReplyHeldTooLong"} <= set(alerts)
        for name, rule in alerts.items():
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, name
            assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
            used = set(re.findall(r"\b(pipeline_\w+|up)\b", rule["expr"]))
            assert used and used <= served, (name, used - served)
        assert "15 * 60" in alerts["PipelineMailboxNotPolled"]["expr"]
        assert "24 * 3600" in alerts["PipelineReplyHeldTooLong"]["expr"]

        # A failed message: reported, but the UI that runs it again stays in the load balancer.
        with unit_of_work(db) as s:
            s.execute(update(Message).values(outcome="failed"))
        status, body = _get(url + "/healthz")
        assert (status, json.loads(body)["status"], json.loads(body)["failed_messages"]) == (200, "degraded", 1)
        # No poll for longer than PIPELINE_HEALTH_MINUTES (30): mail is not being taken in.
        with unit_of_work(db) as s:
            s.execute(update(MailboxState).values(last_poll_ok_at=now_utc() - timedelta(hours=2)))
        status, body = _get(url + "/healthz")
        assert status == 503 and json.loads(body)["status"] == "fail" and json.loads(body)["mailbox_problems"] == 1
        status, text = _get(url + "/metrics")
        assert _samples(text.decode())[("pipeline_messages", (("outcome", "failed"),))] == 1


def test_healthz_when_the_database_does_not_answer(settings: Settings, db: sessionmaker[Session]) -> None:
    from werkzeug.test import Client

    from pipeline.adapters.db.session import session_factory
    from pipeline.entrypoints.web import create_app

    # A database that stopped answering after the web UI started: a PostgreSQL port nobody listens on.
    gone = session_factory(Settings(data_dir=settings.data_dir,
                                    database_url=f"postgresql+psycopg://pipeline@127.0.0.1:{free_port()}/gone"))
    app = create_app(settings, session_factory=gone)
    resp = Client(app.wsgi_app).get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "fail", "database": "unreachable"}
    metrics = Client(app.wsgi_app).get("/metrics").get_data(as_text=True)
    assert _samples(metrics)[("pipeline_database_up", ())] == 0


def test_the_worker_serves_metrics_and_tells_systemd(settings: Settings, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = (FIXTURES / FIXTURE).read_bytes()
    (inbox / FIXTURE).write_bytes(raw)
    notify_path = str(tmp_path / "notify")
    port = free_port()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(notify_path)
        systemd.settimeout(120)
        env = {**os.environ, "NOTIFY_SOCKET": notify_path, "PIPELINE_WORKER_POLL_SECONDS": "3600"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker", "--source", f"dir:{inbox}", "--metrics-port", str(port),
             "--data-dir", str(settings.data_dir), "--database-url", settings.db_url],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            said = []
            while not any(m.startswith("STATUS=pass 1 done") for m in said):  # the first pass is over
                said.append(systemd.recv(4096).decode())
            assert said[0] == "READY=1" and "WATCHDOG=1" in said, said
            status, text = _get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            samples = _samples(text.decode())
            assert samples[("pipeline_database_up", ())] == 1
            assert sum(v for (name, _), v in samples.items() if name == "pipeline_messages") == 1
            assert samples[("pipeline_parse_seconds_count", ())] == 1  # the Word form, read in this process
            assert samples[("pipeline_ocr_seconds_count", ())] == 0
            assert 0 <= samples[("pipeline_seconds_since_last_poll", (("mailbox", f"dir:{inbox}"),))] < 60
            for secret in _personal(raw):
                assert secret not in text
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
            while "STOPPING=1" not in said:
                said.append(systemd.recv(4096).decode())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
