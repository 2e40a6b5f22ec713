"""The payout claim lifecycle as a transition table: (status, action) -> (new status, permission)."""

from __future__ import annotations

from qaldyq.core.i18n import N_

DRAFT, SUBMITTED, APPROVED, REJECTED, PAID = "draft", "submitted", "approved", "rejected", "paid"

TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (DRAFT, "submit"): (SUBMITTED, "payouts.claim"),
    (SUBMITTED, "approve"): (APPROVED, "payouts.review"),
    (SUBMITTED, "reject"): (REJECTED, "payouts.review"),
    (APPROVED, "pay"): (PAID, "payouts.review"),  # through a payment registry
}

STATUS_LABELS = {DRAFT: N_("Draft"), SUBMITTED: N_("Submitted"), APPROVED: N_("Approved"), REJECTED: N_("Rejected"), PAID: N_("Paid")}
STATUS_BADGE = {DRAFT: "", SUBMITTED: "warn", APPROVED: "ok", REJECTED: "bad", PAID: "ok"}

OPERATIONS = ("collection", "transportation", "processing", "single")
