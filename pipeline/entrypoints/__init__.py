"""The entry points: the `pipeline` command, the web UI and the worker loop. They read settings once and
call the use cases; nothing below them imports them."""
