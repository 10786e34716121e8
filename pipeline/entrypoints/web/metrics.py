"""Prometheus metrics (prometheus-client): what the database holds, counted at each scrape, and how long
this process took to read forms (pipeline.adapters.mail.timings).

    registry_for(session_factory, settings) -> CollectorRegistry   served at the web UI's /metrics and by
                                                           `pipeline worker --metrics-port`

The database's gauges are asked for at each scrape (a handful of GROUP BY counts), so the web process and
every worker report the same numbers whoever wrote them. No metric carries a name, an address or a subject.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from pipeline.adapters.mail.timings import PROCESS
from pipeline.settings import Settings

log = logging.getLogger(__name__)


class _Process(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from PROCESS.collect()


class DatabaseCollector(Collector):
    """The pipeline's state as gauges, counted in the database at each scrape."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        from pipeline.queries.health import gauges

        up = GaugeMetricFamily("pipeline_database_up", "1 when the database answered this scrape")
        try:
            with self.session_factory() as session:
                g = gauges(session, lockout_minutes=self.settings.web.lockout_minutes)
        except Exception as exc:  # noqa: BLE001 - a scrape reports the database down, it does not fail
            log.warning("metrics: the database did not answer: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        messages = GaugeMetricFamily("pipeline_messages", "Messages taken in, by outcome (retrying: not done)",
                                     labels=["outcome"])
        for outcome, n in sorted(g.messages.items()):
            messages.add_metric([outcome], n)
        yield messages
        cases = GaugeMetricFamily("pipeline_cases", "Cases by state and kind", labels=["state", "kind"])
        for (state, kind), n in sorted(g.cases.items()):
            cases.add_metric([state, kind], n)
        yield cases
        replies = GaugeMetricFamily("pipeline_replies", "Reply e-mails by state", labels=["state"])
        for state, n in sorted(g.replies.items()):
            replies.add_metric([state], n)
        yield replies
        age = GaugeMetricFamily("pipeline_seconds_since_last_poll",
                                "Seconds since the mail source was last polled successfully", labels=["mailbox"])
        for mailbox, seconds in sorted(g.poll_age.items()):
            age.add_metric([mailbox], seconds)
        yield age
        login = GaugeMetricFamily("pipeline_mailbox_login_failed",
                                  "1 when the last login to the mail source failed", labels=["mailbox"])
        for mailbox, failed in sorted(g.login_failed.items()):
            login.add_metric([mailbox], int(failed))
        yield login
        yield GaugeMetricFamily("pipeline_oldest_draft_reply_seconds",
                                "Age of the oldest reply held as a draft for a person (0: none)",
                                value=g.oldest_draft_seconds)
        yield GaugeMetricFamily("pipeline_web_login_failures",
                                "Failed web logins within the lockout window (PIPELINE_WEB_LOCKOUT_MINUTES)",
                                value=g.web_login_failures)


def registry_for(session_factory: sessionmaker[Session], settings: Settings) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session_factory, settings))
    registry.register(_Process())
    return registry
