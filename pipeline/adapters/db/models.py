"""SQLAlchemy 2 models. One migration history (pipeline/adapters/db/migrations) builds exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> Any:
    return func.now()


# --- registry -------------------------------------------------------------------------------------------


class RegistryOperator(Base):
    __tablename__ = "registry_operator"
    operator_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    orgnr: Mapped[str] = mapped_column(String(9), unique=True)
    email_domain: Mapped[str] = mapped_column(String(200), index=True)
    manager: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))


class RegistryCentre(Base):
    __tablename__ = "registry_centre"
    mottaksnummer: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Normalised name (casefold, æøå folded, white space folded): unique, so two imports cannot clash.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    kommunenummer: Mapped[str | None] = mapped_column(String(4))
    kommune: Mapped[str | None] = mapped_column(String(100))
    operator_id: Mapped[str | None] = mapped_column(ForeignKey("registry_operator.operator_id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RegistryUser(Base):
    """A user of IMDinett Mottak as the pipeline knows it: imported from IMDinett's export, or granted here.

    A user who leaves is `removed` (kept, with when and why), never deleted: the audit trail and the
    cases that name them stay readable. Only active users count in the checks.
    """

    __tablename__ = "registry_user"
    __table_args__ = (
        # One mobile per ACTIVE user (login is by mobile), so that two workers or operators cannot give one
        # mobile to two people; a removed user's mobile may be taken again. A partial index: both SQLite and
        # PostgreSQL enforce it, and both use it for `status = 'active' AND mobile = :m`.
        Index("uq_registry_user_active_mobile", "mobile", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    mobile: Mapped[str] = mapped_column(String(20))  # E.164
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")  # active | removed
    source: Mapped[str] = mapped_column(String(10), default="import", server_default="import")  # import | grant
    source_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))  # the grant that made it
    added_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=_now())
    # When an IMDinett export first listed the user: a user granted here and not yet exported is "not yet
    # in IMDinett", kept by a complete import for a grace period.
    first_imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_reason: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[RegistryUserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class RegistryUserRole(Base):
    __tablename__ = "registry_user_role"
    __table_args__ = (UniqueConstraint("user_id", "role", "mottaksnummer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("registry_user.user_id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    mottaksnummer: Mapped[str] = mapped_column(String(4), index=True)
    user: Mapped[RegistryUser] = relationship(back_populates="roles")


# --- mail ----------------------------------------------------------------------------------------------


class MailboxState(Base):
    """Per mailbox: where the poller is, and whether it is healthy."""

    __tablename__ = "mailbox_state"
    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    last_poll_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    login_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The worker that polls this mailbox (WorkerHeartbeat.worker_id): it holds the mailbox exactly as long
    # as its heartbeat is alive, so one lease decides both the mailbox and the replies it claimed.
    poller: Mapped[str | None] = mapped_column(String(100))


class SkippedMail(Base):
    """A mail the IMAP pre-filter left unread (never downloaded), so that what was left is listed, not lost."""

    __tablename__ = "skipped_mail"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_skipped_mail_source"),
                      Index("ix_skipped_mail_seen", "seen_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    uid: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # INTERNALDATE
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(40))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class WorkerHeartbeat(Base):
    """One row per running worker process, beaten every cycle: a reply claimed by a worker whose
    heartbeat stopped is sent again at once instead of after its lease."""

    __tablename__ = "worker_heartbeat"
    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The worker's one lease: renewed by every beat; once it runs out the worker has lost its mailbox
    # (MailboxState.poller) and the replies it claimed alike.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_source", "mailbox", "uidvalidity", "uid"),
                      Index("ix_message_received", "received_at", "id"),
                      Index("ix_message_mark_owed", "mailbox", "mark_owed"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    mailbox: Mapped[str | None] = mapped_column(String(300))
    uidvalidity: Mapped[int | None] = mapped_column(Integer)
    uid: Mapped[int | None] = mapped_column(Integer)
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    sender_name: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once purged by retention
    size: Mapped[int] = mapped_column(Integer, default=0)
    # queued, needs_info, no_form, unreadable, duplicate, auto_reply; failed while processing failed
    outcome: Mapped[str | None] = mapped_column(String(32), index=True)
    # The trusted Authentication-Results and the verdict on the sender (pipeline.checks.authentication.Verdict.to_json).
    auth_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The sender is the From address and IMDi's receiving host vouched for it (None: not judged yet).
    sender_verified: Mapped[bool | None] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Who is reading it now (host:pid:token) and until when: parsing happens outside any transaction,
    # so the claim is this lease; a holder that died, or whose lease ran out, is taken over.
    lease_holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    # Reads ended by the worker's own death or a lease run out (not the mail's fault: not in `attempts`).
    interruptions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Taken as a form submission and not yet marked on the server: owed until a worker has marked it.
    mark_owed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Over the size limit: only the header block was downloaded (raw), `size` is the server's RFC822.SIZE.
    headers_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class Attachment(Base):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once purged
    # "read", or the error code (unreadable.corrupt, not_a_form, ...); "body" for a form in the mail body
    code: Mapped[str] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    # The reading as `pipeline parse --json` prints it (with provenance), when read.
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[Message] = relationship(back_populates="attachments")


class PageImage(Base):
    """A page of an attached form drawn as a picture for the case page: made once (by the OCR reader as
    it reads, or on the first view of the case) and kept until retention purges the file."""

    __tablename__ = "page_image"
    __table_args__ = (UniqueConstraint("attachment_id", "page", name="uq_page_image_attachment_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"))
    # Counted from 1. Page 0 (no picture) records that the file could not be drawn, and why (`error`),
    # so that a hostile file costs the sandbox's time once, not on every view.
    page: Mapped[int] = mapped_column(Integer)
    png: Mapped[bytes | None] = mapped_column(LargeBinary)
    width_px: Mapped[int] = mapped_column(Integer, default=0)
    height_px: Mapped[int] = mapped_column(Integer, default=0)
    # The page in the coordinates of the reading's boxes (PDF points), and where the picture's top-left
    # corner lies in them (pipeline.forms.page_drawing).
    width_pt: Mapped[float] = mapped_column(Float, default=0.0)
    height_pt: Mapped[float] = mapped_column(Float, default=0.0)
    x0_pt: Mapped[float] = mapped_column(Float, default=0.0)
    top_pt: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class Rendering(Base):
    """An attached form file as the case page shows it, rendered once (a Word form's text, made in the
    sandbox child on the first view of its case) and kept until retention purges the file. `content` is
    the renderer's plain data, an error included ({"error": code}), so a hostile file costs the sandbox's
    time once, not on every view."""

    __tablename__ = "rendering"
    __table_args__ = (UniqueConstraint("attachment_id", "renderer", name="uq_rendering_attachment_renderer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"))
    # What made it, with a version: a renderer that changes its output takes a new name, and the old
    # renderings are simply not read any more.
    renderer: Mapped[str] = mapped_column(String(40))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


# --- tasks ---------------------------------------------------------------------------------------------


class CaseCounter(Base):
    """Gives case references 2026-0042: one row per year, incremented under a row lock."""

    __tablename__ = "case_counter"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Task(Base):
    __tablename__ = "task"
    # The queue lists tasks oldest first, per state (state, created_at) and across states (created_at, id).
    __table_args__ = (Index("ix_task_state_created", "state", "created_at"),
                      Index("ix_task_created", "created_at", "id"),
                      Index("ix_task_kind_state", "kind", "state"),
                      Index("ix_task_owner_state", "owner", "state"),  # "mine" in the queue
                      # "Purret, ikke besvart" (pipeline.queries.waiting): only reminded cases are in it.
                      Index("ix_task_reminded", "reminder_sent_at",
                            sqlite_where=text("reminder_sent_at IS NOT NULL"),
                            postgresql_where=text("reminder_sent_at IS NOT NULL")))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="grant", server_default="grant")  # grant | removal
    # needs_info, review, approved, provisioned, rejected, superseded (pipeline.core.domain)
    state: Mapped[str] = mapped_column(String(20), index=True)
    # Bumped by every change: a decision names the version it was drawn from, and is refused on another.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_by: Mapped[str | None] = mapped_column(String(100))  # who made the last change
    owner: Mapped[str | None] = mapped_column(String(100))  # the operator working on the case ("Ta saken")
    owner_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The mail that asked (a form, a removal request, an answer to a review); None when IMDi support or an
    # import asked.
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    attachment_pk: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    # Applicant, normalised (E.164 mobile, normalised e-mail); indexed columns so the queue can search them.
    first_name: Mapped[str | None] = mapped_column(String(200), index=True)
    last_name: Mapped[str | None] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    operator: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # organisation, manager, email, phone
    operator_id: Mapped[str | None] = mapped_column(String(16))
    # As written by the sender (FormReading.to_json()), kept apart from corrections.
    reading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Operators' corrections by field path ({"applicant.mobile": "...", "centres": [...]}), over `reading`.
    corrections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extends_user_id: Mapped[str | None] = mapped_column(String(32))  # same person already a user
    provisioned_user_id: Mapped[str | None] = mapped_column(String(32))
    # A removal: the registry user whose role ends (at the task's centres). None while nobody could tell who.
    user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    origin: Mapped[str | None] = mapped_column(String(16))  # pipeline.core.domain.ORIGINS
    reason: Mapped[str | None] = mapped_column(Text)  # why a removal was asked for
    review_id: Mapped[int | None] = mapped_column(ForeignKey("access_review.id"), index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the task entered its current state (reminders count working days from entering needs_info).
    state_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The sender's last answer (a mail found by find_task_for_reply): a needs_info task answered gets no reminder.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An operator checked a reading made by OCR against the page (clears form.ocr); a new form from the
    # sender is a new reading and clears these again.
    reading_confirmed_by: Mapped[str | None] = mapped_column(String(100))
    reading_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now(), onupdate=_now())
    centres: Mapped[list[TaskCentre]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskCentre.position"
    )
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class TaskCentre(Base):
    __tablename__ = "task_centre"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Indexed: the queue searches centres by the name as written and as resolved.
    written: Mapped[str] = mapped_column(String(500), index=True)
    mottaksnummer: Mapped[str | None] = mapped_column(String(4), index=True)
    name: Mapped[str | None] = mapped_column(String(200), index=True)
    task: Mapped[Task] = relationship(back_populates="centres")


class TaskSearch(Base):
    """Each case's folded search text (pipeline.core.search.case_text), kept by pipeline.adapters.db.search_index."""

    __tablename__ = "task_search"
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class TaskGram(Base):
    """The trigrams of each case's search text: the postings that find a word anywhere in a case.

    Its primary key (gram, task_id) is the whole row (SQLite: WITHOUT ROWID, one B-tree); an entry is
    removed by that key, from the old text, so no index on task_id is needed. A deleted case may leave
    entries behind: a search always joins the case, so they find nothing."""

    __tablename__ = "task_gram"
    __table_args__ = {"sqlite_with_rowid": False}
    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    task_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class SavedView(Base):
    """An operator's saved queue view: a name and the queue's query string (status, search, owner, order)."""

    __tablename__ = "saved_view"
    __table_args__ = (Index("ux_saved_view_owner_name", "owner", "name", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class FindingRow(Base):
    __tablename__ = "finding"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(10))  # error | warning
    field: Mapped[str | None] = mapped_column(String(64))
    message_no: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    task: Mapped[Task] = relationship(back_populates="findings")


class ProposedChange(Base):
    """Values an answer carried that may not change the case by themselves (the sender is not verified,
    or is not the case's sender): an operator accepts or refuses them on the case page."""

    __tablename__ = "proposed_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    attachment_pk: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    sender: Mapped[str | None] = mapped_column(String(320))
    sender_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The reading that accepting would lay over the case (FormReading.to_json()), and the difference
    # from the case's values when it came ({path: {"before", "after"}}).
    reading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default="proposed")  # pipeline.core.domain.PROPOSAL_STATES
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- access reviews ------------------------------------------------------------------------------------


class AccessCampaign(Base):
    """One `pipeline review start`: the reviews it sent, to be followed as a whole."""

    __tablename__ = "access_campaign"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(100))
    due_days: Mapped[int] = mapped_column(Integer)  # working days to answer
    reviews: Mapped[list[AccessReview]] = relationship(back_populates="campaign", order_by="AccessReview.id")


class AccessReview(Base):
    """One driftsoperatør's review: the administrators listed to it, its answer and what the answer raised."""

    __tablename__ = "access_review"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)  # 2026-G001, in the mail's subject
    campaign_id: Mapped[int] = mapped_column(ForeignKey("access_campaign.id"), index=True)
    operator_id: Mapped[str] = mapped_column(String(16), index=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    # sent, confirmed, changes, unclear, overdue (pipeline.core.domain.REVIEW_STATES)
    state: Mapped[str] = mapped_column(String(12), index=True)
    # As sent: [{"mottaksnummer", "name", "admins": [{"user_id", "first_name", "last_name", "email"}]}]
    listing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    # How the last answer was read: {"verdict", "named": [user ids], "unclear": [reasons], "sender", "verified"}
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    campaign: Mapped[AccessCampaign] = relationship(back_populates="reviews")


# --- replies -------------------------------------------------------------------------------------------


class Reply(Base):
    __tablename__ = "reply"
    # created_at: the caps on automatic replies count the last hour's.
    __table_args__ = (Index("ix_reply_state_next", "state", "next_attempt_at"),
                      Index("ix_reply_created", "created_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # receipt, needs_info, confirmation, rejection, reminder, ...
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    to_addr: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Stable across retries so that a resend after a crash is recognisable as the same mail.
    rfc_message_id: Mapped[str] = mapped_column(String(300), unique=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("access_review.id"), index=True)  # a review's mail
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="draft")  # pipeline.core.domain.REPLY_STATES
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the worker sending it (its heartbeat)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


# --- people and audit ----------------------------------------------------------------------------------


class OperatorAccount(Base):
    __tablename__ = "operator_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Kept in each web session and compared on every request; bumped at logout and lockout, so a copied
    # session cookie stops working then (the cookie itself is signed, not stored server-side).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class LoginFailure(Base):
    """A failed web login: which client tried which name, and when. Counted over the last
    WEB_LOCKOUT_MINUTES to refuse a client (per name and in all) and to lock an account; older rows are
    deleted at the next login attempt. The rule is in pipeline/entrypoints/web/auth.py."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_client_at", "client", "at"),
                      Index("ix_login_failure_username_at", "username", "at"),
                      Index("ix_login_failure_at", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The client's address (an IPv6 client by its /64, which one host usually holds whole).
    client: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(100))  # as typed, whether or not such an account exists
    # password (a wrong password for an active, unlocked account: the only reason that counts towards
    # the account's lockout), unknown, inactive, locked.
    reason: Mapped[str] = mapped_column(String(16))


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    actor: Mapped[str] = mapped_column(String(100))  # "system" or an operator's username
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))  # task, message, reply, registry, operator
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
