"""Notifications: who is told of each event (data), a message in the system for each, and an
e-mail through a pluggable sender. The default sender writes RFC 5322 files to the instance
folder (`<instance>/outbox/ownsystem/`), so nothing leaves the machine unless an operator
installs a real sender with `set_sender`."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.config import get_settings
from qaldyq.core.database import utcnow
from qaldyq.core.i18n import translate
from qaldyq.core.models import User
from qaldyq.ownsystem.models import Notification, OwnApplication
from qaldyq.ownsystem.workflow import EVENT_LABELS, STATUS_LABELS, Actor, Status

# who must know of each event (points 4–9: who sends what to whom)
RECIPIENTS: dict[str, tuple[Actor, ...]] = {
    "submit": (Actor.AUTHORITY,), "register": (Actor.APPLICANT,), "forward": (Actor.OPERATOR,), "forward_srb": (Actor.OPERATOR,),
    "request_missing": (Actor.APPLICANT,), "supply_missing": (Actor.OPERATOR,), "stop": (Actor.APPLICANT, Actor.OPERATOR, Actor.AUTHORITY),
    "request_import_docs": (Actor.APPLICANT,), "supply_import_docs": (Actor.OPERATOR,), "fallback_mass": (Actor.APPLICANT, Actor.OPERATOR),
    "send_report": (Actor.AUTHORITY, Actor.APPLICANT), "open_hearing": (Actor.APPLICANT,), "confirm": (Actor.APPLICANT, Actor.OPERATOR),
    "refuse": (Actor.APPLICANT, Actor.OPERATOR), "appeal": (Actor.AUTHORITY, Actor.OPERATOR),
}
ROLE_OF = {Actor.AUTHORITY: "authority", Actor.OPERATOR: "operator"}


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileOutbox:
    """Writes each message as a .eml file (the default; see the module docstring)."""

    _seq = itertools.count(1)

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        folder = self.folder or Path(get_settings().instance_dir) / "outbox" / "ownsystem"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{next(self._seq)}.eml"
        (folder / name).write_bytes(bytes(message))


_sender: Sender = FileOutbox()


def set_sender(sender: Sender) -> None:
    global _sender
    _sender = sender


def sender() -> Sender:
    return _sender


def addresses(db: Session, app: OwnApplication, actor: Actor) -> list[tuple[str, str]]:
    """(e-mail, locale) of the active users who act for `actor` on this application."""
    q = select(User.email, User.locale).where(User.active.is_(True), User.email.is_not(None))
    if actor == Actor.APPLICANT:
        q = q.where(User.organization_id == app.organization_id, User.role.in_(("org_admin", "org_user")))
    else:
        q = q.where(User.role == ROLE_OF[actor])
    return [(e, loc or "ru") for e, loc in db.execute(q)]


def notify(db: Session, app: OwnApplication, event: str) -> list[Notification]:
    out = []
    for actor in RECIPIENTS.get(event, ()):
        sent = []
        for email, locale in addresses(db, app, actor):
            msg = EmailMessage()
            msg["To"] = email
            msg["From"] = "noreply@qaldyq.kz"
            label = translate(locale, EVENT_LABELS[event])
            msg["Subject"] = f"{app.number}: {label}"
            msg.set_content(f"{app.org_name} ({app.org_bin}), {app.year}/{app.half}\n{label}\n"
                            f"{translate(locale, STATUS_LABELS[Status(app.status)])}\n/ownsystem/applications/{app.id}\n")
            _sender.send(msg)
            sent.append(email)
        n = Notification(application_id=app.id, actor=actor.value, organization_id=app.organization_id if actor == Actor.APPLICANT else None,
                         event=event, emailed_to=sent)
        db.add(n)
        out.append(n)
    db.flush()
    return out
