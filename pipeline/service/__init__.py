"""Use cases, one transaction each: ingest a message, decide a task, send replies."""
