"""Read models: what the web pages and the CLI show, read from the database into frozen dataclasses.

The edges (pipeline.entrypoints.web, pipeline.entrypoints.cli) import no ORM classes: they read through these functions, each
taking a Session (opened and closed by the caller, never committed), and change things only through
the service layer's use cases.

    rows.py      the frozen views of stored records (TaskView, FindingView, ReplyView, MessageView, ...)
    queue.py     the queue: counts per state, search, one page of cases
    case.py      one case: fields with provenance, findings, replies, history, the original document
    messages.py  the messages taken in, with outcomes and attachments
    replies.py   the reply e-mails
    status.py    mailbox health, failed messages, counts
    export.py    approved (or done) cases as rows for IMDinett
    registry.py  the registry page: centres with their administrators, users with source and status
    reviews.py   access reviews: each with its answer and the tasks it raised; campaigns' progress
    proposals.py the proposed changes of a case (answers that may not change it by themselves)
"""
