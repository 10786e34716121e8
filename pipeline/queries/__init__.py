"""Read models for the web UI and the CLI: functions that take a session and return frozen dataclasses."""
