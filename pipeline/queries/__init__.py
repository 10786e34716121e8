"""Read models: what the CLI and the web UI show, read in one place and returned as frozen dataclasses, so
that neither imports the ORM classes."""
