"""The hall's books as SQLAlchemy tables.

Money columns are integer cents.  Money rows (charges, payments, adjustments and
their decisions) are never updated in their amounts nor deleted: the migration
installs triggers that refuse it.  Balances are never stored; see ``ledger``.
"""

# No "from __future__ import annotations" here: SQLAlchemy reads each column's Mapped[...] as an object instead
# of evaluating its text, a sixth of the time the tables take to load (every command that opens the books pays
# it). A class named before it is defined is written in quotes: Mapped[list["DuesRate"]].
import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


MEMBER_STATUSES = ("active", "suspended", "retired", "withdrawn", "deceased")
FREQUENCIES = ("monthly", "quarterly")
PAYMENT_METHODS = ("cash", "check", "money_order", "card", "us_bank_account", "other")
PAYMENT_STATUSES = ("pending", "completed", "failed")
ADJUSTMENT_KINDS = ("waiver", "hardship_credit", "write_off", "correction", "refund")
OFFICER_ROLES = ("treasurer", "president", "trustee", "staff")


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Officer(Base):
    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[str] = mapped_column(String(32))
    # An officer who leaves is deactivated, never deleted: their name signs past approvals.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Wrong PINs in a row, how often the officer was locked out, and until when (kept across restarts).
    failed_pins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[str | None] = mapped_column(String(32), nullable=True)
    __table_args__ = (CheckConstraint(f"role IN {OFFICER_ROLES}", name="ck_officer_role"),)


class Classification(Base):
    __tablename__ = "classifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    frequency: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[str] = mapped_column(String(32))
    rates: Mapped[list["DuesRate"]] = relationship(
        back_populates="classification", order_by="DuesRate.effective_from"
    )
    __table_args__ = (CheckConstraint(f"frequency IN {FREQUENCIES}", name="ck_class_frequency"),)


class DuesRate(Base):
    """A rate in force from ``effective_from`` until the next rate's start (or ``effective_to``)."""

    __tablename__ = "dues_rates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    classification_id: Mapped[int] = mapped_column(ForeignKey("classifications.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    per_capita_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    classification: Mapped[Classification] = relationship(back_populates="rates")
    __table_args__ = (
        UniqueConstraint("classification_id", "effective_from", name="uq_rate_class_from"),
        CheckConstraint("amount_cents >= 0", name="ck_rate_amount"),
        CheckConstraint("per_capita_cents >= 0", name="ck_rate_per_capita"),
    )


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_number: Mapped[str] = mapped_column(String(40), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    classification_id: Mapped[int] = mapped_column(ForeignKey("classifications.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")
    join_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[Classification] = relationship()
    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES}", name="ck_member_status"),
        Index("ix_members_last_name", "last_name"),
    )


class DuesPeriod(Base):
    __tablename__ = "dues_periods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # 2026-12 or 2026-Q4
    frequency: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    grace_ends_on: Mapped[dt.date] = mapped_column(Date)


class PeriodClosing(Base):
    """Close and reopen events; a period is closed when its latest row is a close."""

    __tablename__ = "period_closings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("dues_periods.id"))
    action: Mapped[str] = mapped_column(String(8))  # close | reopen
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(String(32))
    # The audit chain's head when the period was closed: the trustees keep it on paper.
    anchor_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anchor_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (CheckConstraint("action IN ('close', 'reopen')", name="ck_closing_action"),)


class Charge(Base):
    """One assessment: what a member owes for one period."""

    __tablename__ = "charges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("dues_periods.id"))
    rate_id: Mapped[int] = mapped_column(ForeignKey("dues_rates.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    per_capita_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[str] = mapped_column(String(32))
    period: Mapped[DuesPeriod] = relationship()
    __table_args__ = (
        UniqueConstraint("member_id", "period_id", name="uq_charge_member_period"),
        CheckConstraint("amount_cents >= 0", name="ck_charge_amount"),
        # Covering indexes (migration 0011): per-member and per-period sums read no charge row.
        Index("ix_charges_member_totals", "member_id", "period_id", "amount_cents"),
        Index("ix_charges_period_totals", "period_id", "member_id", "amount_cents"),
    )


class Payment(Base):
    """Money received.  ``status`` moves pending -> completed | failed (ACH); amounts never change."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="completed")
    received_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[str] = mapped_column(String(32))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, nullable=True
    )
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, nullable=True
    )
    slip_id: Mapped[int | None] = mapped_column(ForeignKey("slips.id", name="fk_payments_slip"), nullable=True)
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="ck_payment_amount"),
        CheckConstraint(f"method IN {PAYMENT_METHODS}", name="ck_payment_method"),
        CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="ck_payment_status"),
        Index("ix_payments_member", "member_id"),
        # Covering indexes (migration 0011): each member's completed payments, each day's by method.
        Index("ix_payments_member_totals", "member_id", "status", "amount_cents"),
        Index("ix_payments_day_totals", "status", "received_on", "method", "amount_cents"),
    )


class Adjustment(Base):
    """A change to what a member owes other than dues or payments.

    ``amount_cents`` is signed as its effect on the balance: a waiver of $45 is
    -4500, a refund paid back to a member is +4500.  Kinds that need a second
    officer take effect only with an approving ``AdjustmentDecision``.
    """

    __tablename__ = "adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), nullable=True)
    corrects_adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("adjustments.id"), nullable=True
    )
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    needs_approval: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint(f"kind IN {ADJUSTMENT_KINDS}", name="ck_adjustment_kind"),
        CheckConstraint("amount_cents <> 0", name="ck_adjustment_amount"),
        Index("ix_adjustments_member", "member_id"),
    )


class AdjustmentDecision(Base):
    __tablename__ = "adjustment_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("adjustments.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(10))  # approved | denied
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'denied')", name="ck_decision_value"),
    )


class AuditEntry(Base):
    """Append-only, hash-chained log.  ``seq`` is gap-free; see ``audit``."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Full snapshots of the rows the entry's transaction wrote (``audit_rows``); megabytes for a bulk write,
    # so loaded only when asked for.
    rows_json: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


SLIP_STATUSES = ("open", "paid", "superseded", "void", "expired")


class Slip(Base):
    """A printed payment slip: what one member owes for some periods, and its Stripe payment link.

    Only ``status`` and the link's id and URL change after the row is written (the
    link is created after the row, so a lost answer is retried with the same
    idempotency key); every change is audited.
    """

    __tablename__ = "slips"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    periods: Mapped[str] = mapped_column(Text)          # "2026-10,2026-11" (oldest first)
    covers: Mapped[str] = mapped_column(String(10))     # period | arrears
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="open")
    link_id: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    pay_by: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[str] = mapped_column(String(32))
    member: Mapped[Member] = relationship()
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="ck_slip_amount"),
        CheckConstraint(f"status IN {SLIP_STATUSES}", name="ck_slip_status"),
        Index("ix_slips_member_status", "member_id", "status"),
    )


EVENT_OUTCOMES = ("pending", "applied", "ignored", "held", "failed")


class StripeEvent(Base):
    """The inbox: every Stripe event exactly as it arrived, keyed by its id, and what became of it."""

    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    created: Mapped[int] = mapped_column(BigInteger)
    livemode: Mapped[bool] = mapped_column()
    api_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))        # webhook | cli | poll | fetch
    received_at: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    detail: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    __table_args__ = (
        CheckConstraint(f"outcome IN {EVENT_OUTCOMES}", name="ck_event_outcome"),
        Index("ix_stripe_events_outcome", "outcome"),
        Index("ix_stripe_events_created", "created"),
    )


class RelayState(Base):
    """The relay's own bookkeeping (polling cursor, last event seen); not money, not audited."""

    __tablename__ = "relay_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Refund(Base):
    """A refund as Stripe reports it; its ledger adjustment is posted once it has succeeded."""

    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(10))         # app | stripe (made in Stripe's dashboard)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("adjustments.id"), unique=True, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (CheckConstraint("amount_cents > 0", name="ck_refund_amount"),)


class Dispute(Base):
    __tablename__ = "disputes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence_due_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("adjustments.id"), unique=True, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))


REVIEW_KINDS = ("unmatched_payment", "stale_slip_payment", "overpayment", "refund", "dispute", "ach_failed",
                "held_event", "failed_event")


class ReviewItem(Base):
    """Something the treasurer must look at; resolved with a note, never deleted."""

    __tablename__ = "review_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(255))        # payment:12, refund:re_..., dispute:dp_..., event:evt_...
    summary: Mapped[str] = mapped_column(Text)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    due_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_review_kind_ref"),
        CheckConstraint(f"kind IN {REVIEW_KINDS}", name="ck_review_kind"),
        Index("ix_review_open", "resolved_at"),
    )


# Reconciliation: Stripe payouts, bank deposits, bank statements -------------------------------------------


class Payout(Base):
    """A Stripe payout as last seen.  Only ``status`` (and its failure details) change, audited."""

    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_payout_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    shown_paid: Mapped[bool] = mapped_column(default=False)   # Stripe once reported it paid
    failure_code: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created: Mapped[int] = mapped_column(BigInteger)          # Stripe's unix time
    arrival_date: Mapped[dt.date] = mapped_column(Date)
    synced_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (Index("ix_payouts_created", "created"),)


class LinkClosure(Base):
    """A payment link Stripe confirmed inactive; a closed slip's link without one is still to be closed."""

    __tablename__ = "link_closures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[str] = mapped_column(String(255), unique=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("slips.id"))
    closed_at: Mapped[str] = mapped_column(String(32))


class BalanceTransaction(Base):
    """One line of a payout, exactly as Stripe listed it; never changed."""

    __tablename__ = "balance_transactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_txn_id: Mapped[str] = mapped_column(String(255), unique=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"))
    type: Mapped[str] = mapped_column(String(40))
    reporting_category: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    fee_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source_id: Mapped[str] = mapped_column(String(255))
    charge_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        Index("ix_balance_txn_payout", "payout_id"),
        Index("ix_balance_txn_charge", "charge_id"),
        Index("ix_balance_txn_intent", "payment_intent_id"),
    )


class BalanceLineSeen(Base):
    """A Stripe balance transaction seen in the balance before any synced payout carried it; never changed.

    A ledger payment whose charge line is here (and in no payout yet) is money still in the Stripe balance,
    not a discrepancy.  Once a payout carries the line it is also in ``balance_transactions``.
    """

    __tablename__ = "balance_lines_seen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stripe_txn_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    reporting_category: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    fee_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source_id: Mapped[str] = mapped_column(String(255))
    charge_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created: Mapped[int] = mapped_column(BigInteger)           # Stripe's unix time
    available_on: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seen_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        Index("ix_balance_seen_charge", "charge_id"),
        Index("ix_balance_seen_intent", "payment_intent_id"),
    )


class DiscrepancyResolution(Base):
    """The treasurer's note on one discrepancy (kind + ref); discrepancies themselves are computed."""

    __tablename__ = "discrepancy_resolutions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    ref: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(120))
    resolved_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_discrepancy_kind_ref"),)


DEPOSIT_STATUSES = ("open", "deposited")


class DepositBatch(Base):
    """Cash, checks and money orders taken to the bank together; locked once deposited."""

    __tablename__ = "deposit_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deposit_date: Mapped[dt.date] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="open")
    deposited_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (CheckConstraint(f"status IN {DEPOSIT_STATUSES}", name="ck_deposit_status"),)


class DepositItem(Base):
    """A payment put in a batch.  Never changed; taking it out of an open batch is a DepositRemoval.

    A payment is in at most one *live* batch (its items minus removed ones), checked by
    ``treasurer.deposits`` inside the write transaction; removed, it may go into another batch.
    """

    __tablename__ = "deposit_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("deposit_batches.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    __table_args__ = (Index("ix_deposit_items_batch", "batch_id"), Index("ix_deposit_items_payment", "payment_id"))


class DepositRemoval(Base):
    """A payment taken out of an open batch (a check in the wrong batch, one held back): append-only."""

    __tablename__ = "deposit_removals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("deposit_items.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    removed_by: Mapped[str] = mapped_column(String(120))
    removed_at: Mapped[str] = mapped_column(String(32))


BANK_RECONCILIATION_STATUSES = ("in_progress", "finished")


class BankReconciliation(Base):
    """One bank statement reconciled: in progress (ticks saved as JSON) until finished, then locked."""

    __tablename__ = "bank_reconciliations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_date: Mapped[dt.date] = mapped_column(Date)
    opening_balance_cents: Mapped[int] = mapped_column(BigInteger)
    ending_balance_cents: Mapped[int] = mapped_column(BigInteger)
    ticked: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(12), default="in_progress")
    created_at: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    finished_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    __table_args__ = (
        CheckConstraint(f"status IN {BANK_RECONCILIATION_STATUSES}", name="ck_bank_rec_status"),
    )


class BankClearedItem(Base):
    """A deposit or payout the bank showed, cleared by a finished reconciliation (at most once)."""

    __tablename__ = "bank_cleared_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reconciliation_id: Mapped[int] = mapped_column(ForeignKey("bank_reconciliations.id"))
    item_ref: Mapped[str] = mapped_column(String(255), unique=True)   # deposit:3 | payout:po_...
    amount_cents: Mapped[int] = mapped_column(BigInteger)


BANK_ENTRY_KINDS = ("fee", "interest", "withdrawal", "transfer_in", "other")


class BankEntry(Base):
    """A bank statement line that is neither a deposit nor a payout: a fee, interest, a check or transfer out.

    ``amount_cents`` is signed as its effect on the bank balance (a $12 fee is -1200, interest +31).  Never
    changed or deleted (triggers); a mistake is corrected by a new entry of the opposite amount.
    """

    __tablename__ = "bank_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        CheckConstraint(f"kind IN {BANK_ENTRY_KINDS}", name="ck_bank_entry_kind"),
        CheckConstraint("amount_cents <> 0", name="ck_bank_entry_amount"),
    )


OUTBOX_STEPS = ("sending", "sent", "retry", "failed", "unknown")


class OutboxEntry(Base):
    """The outbox: what happened to each email to a member, one row per step, never changed or deleted.

    A message is one (slip, kind): ``slip`` for the slip itself, ``reminder-1``, ``reminder-2``... for
    reminders.  Each try writes a 'sending' row (committed before a byte goes to the server) and then its
    answer: 'sent', 'retry' (a temporary failure: tried again later), 'failed' (the server refused it for
    good) or 'unknown' (the program stopped between the two: it may have gone out, so it is not sent again).
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    slip_id: Mapped[int] = mapped_column(ForeignKey("slips.id"))
    kind: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))
    message_id: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        UniqueConstraint("slip_id", "kind", "attempt", "step", name="uq_outbox_step"),
        CheckConstraint(f"step IN {OUTBOX_STEPS}", name="ck_outbox_step"),
        Index("ix_outbox_member", "member_id"),
    )
