"""Access-request pipeline for IMDinett Mottak (mottaksadministrator forms)."""

__version__ = "0.1.0"
