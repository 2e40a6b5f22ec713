"""The demo dataset: deterministic (seeded), built by each domain's `demo.seed(db, ctx)` in the
order of DOMAINS, and reused by tests and benchmarks."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaldyq.core.audit import Actor, set_actor
from qaldyq.domains import modules

DEMO_PASSWORD = "qaldyq-demo-2026"  # demo accounts only; `qaldyq demo` says so when it prints them


@dataclass
class DemoContext:
    seed: int = 2026
    scale: float = 1.0  # 1.0: a few hundred organizations; benchmarks raise it
    password: str = DEMO_PASSWORD
    logins: list[dict[str, str]] = field(default_factory=list)  # {"username", "role", "organization"}
    shared: dict[str, Any] = field(default_factory=dict)  # what one domain's seed leaves for the next

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def rng_for(self, domain: str) -> random.Random:
        """A generator per domain, so adding data in one domain does not shift another's."""
        return random.Random(f"{self.seed}:{domain}")


def is_loaded(db: Session) -> bool:
    from qaldyq.core.models import User

    return (db.scalar(select(func.count()).select_from(User)) or 0) > 0


def load(db: Session, ctx: DemoContext | None = None, progress=None) -> DemoContext:
    ctx = ctx or DemoContext()
    set_actor(db, Actor(None, None, "demo"))
    seeders = [m for m in modules("demo") if hasattr(m, "seed")]
    for i, mod in enumerate(seeders):
        if progress:
            progress(i, len(seeders), mod.__name__.split(".")[1])
        mod.seed(db, ctx)
        db.flush()
    if progress:
        progress(len(seeders), len(seeders), "done")
    return ctx


def demo_logins(db: Session) -> list[tuple[str, str, str]]:
    """(user name, role, organization) of the demo accounts, also when the data was loaded earlier."""
    from qaldyq.core.models import User

    users = db.scalars(select(User).where(User.username.like("demo.%")).order_by(User.id)).all()
    return [(u.username, u.role, u.organization.name_ru if u.organization else "") for u in users]
