"""How long this process took to read the attachments of mail, as Prometheus histograms (prometheus-client).

    observe_reading(seconds, method)   one attachment read (method "ocr": a scan or photo, counted in both)
    PROCESS                            the registry holding them; pipeline.entrypoints.web.metrics serves it

Forms are read by the worker, so its scrape (`--metrics-port`) has them; the web process's stay at 0.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

PROCESS = CollectorRegistry(auto_describe=True)
PARSE_SECONDS = Histogram(
    "pipeline_parse_seconds", "Seconds one attachment took to read (Word, PDF, image), whatever the result",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 45.0), registry=PROCESS)
OCR_SECONDS = Histogram(
    "pipeline_ocr_seconds", "Seconds one scan or photo took to read by OCR (part of pipeline_parse_seconds)",
    buckets=(1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 120.0), registry=PROCESS)


def observe_reading(seconds: float, method: str | None) -> None:
    PARSE_SECONDS.observe(seconds)
    if method == "ocr":
        OCR_SECONDS.observe(seconds)
