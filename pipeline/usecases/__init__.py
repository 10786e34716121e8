"""The use cases: what the web, the CLI and the worker call. Each public function takes the session factory
and owns one unit of work (or a series of them, each whole); nothing below opens a transaction."""
