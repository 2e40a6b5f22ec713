"""Demo: a demo certification authority (trusted, its key generated now and kept encrypted in the
database, never in the repository) and a held signing key and certificate for every demo user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.demo import DemoContext
from qaldyq.core.models import User
from qaldyq.signing import service

DEMO_CA_NAME = "Qaldyq Demo CA (not for production)"


def seed(db: Session, ctx: DemoContext) -> None:
    ca = service.create_issuing_ca(db, DEMO_CA_NAME, "Qaldyq demo", years=5)
    ctx.shared["signing_demo_ca"] = ca.fingerprint
    for user_id in db.scalars(select(User.id).order_by(User.id)):
        service.ensure_held_key(db, user_id)
