"""A past payment's receipt, rebuilt from the books for a reprint (nothing is written)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from . import clock
from .errors import UserFacingError
from .hall import Hall
from .ledger import member_standing
from .models import Member, Payment
from .payments import Receipt, covers_of, receipt_number


@dataclasses.dataclass(frozen=True)
class PastReceipt:
    receipt: Receipt
    recorded_by: str
    status: str          # completed | pending | failed
    as_of: dt.date       # the day "what it paid" and the balance are computed for


def past_receipt(hall: Hall, payment_id: int, today: dt.date | None = None) -> PastReceipt:
    """The receipt of payment ``payment_id`` as the books show it today.

    What it paid is the same oldest-first allocation the receipt showed when it was recorded (the core's own
    ``covers_of``, so the two cannot disagree); a payment not completed paid nothing.
    """
    today = today or clock.today()
    with hall.read() as s:
        payment = s.get(Payment, payment_id)
        if payment is None:
            raise UserFacingError(f"There is no payment {receipt_number(payment_id)}.")
        if payment.member_id is None:
            raise UserFacingError(f"Payment {receipt_number(payment_id)} is not matched to a member yet; match it in "
                                  f"Review, then print its receipt.")
        member = s.get(Member, payment.member_id)
        if payment.status == "completed":
            covers, standing = covers_of(s, member.id, payment.id, today)
        else:
            covers, standing = [], member_standing(s, member.id, today)
        receipt = Receipt(payment.id, receipt_number(payment.id), member.member_number,
                          f"{member.first_name} {member.last_name}".strip(), payment.amount_cents, payment.method,
                          payment.reference or "", payment.received_on, covers, standing)
        return PastReceipt(receipt, payment.recorded_by, payment.status, today)
