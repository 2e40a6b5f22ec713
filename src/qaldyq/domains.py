"""The domain packages, in dependency order, and discovery of their optional modules.

Each domain may provide `api.router`, `views.router` and `views.NAV`, `commands.app` (a Typer
sub-command), `permissions.PERMISSIONS` and `demo.seed`. Discovery keeps `app.py` and `cli.py`
free of a list that every domain would have to edit.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "core",
    "registry",
    "catalog",
    "signing",
    "ledger",
    "transfers",
    "epr",  # the operator route: registration, declarations, payments, certificates, customs
    "ownsystem",  # the own-system route: Order 690 half-yearly confirmation
    "payouts",  # operator payouts to waste organizations
    "telemetry",
    "control",
    "cadastre",
    "citizens",
)


def domain_module(domain: str, name: str) -> ModuleType | None:
    """Import `qaldyq.<domain>.<name>` if the domain has that module, else None."""
    full = f"qaldyq.{domain}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name in (full, f"qaldyq.{domain}"):
            return None
        raise


def modules(name: str) -> list[ModuleType]:
    return [m for d in DOMAINS if (m := domain_module(d, name)) is not None]


def import_all_models() -> None:
    """Import every domain's models so that Base.metadata knows all tables."""
    modules("models")
