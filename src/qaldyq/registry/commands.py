"""`qaldyq org create` and `qaldyq org list`: register and list organizations from scripts.

Both go through the same schema and service as the API (so a bad BIN or an unknown region is
refused the same way, exit status 2, nothing written) and print JSON with --json.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from qaldyq.core.commands import cli_session, console, emit, err
from qaldyq.core.errors import pydantic_field_errors
from qaldyq.core.i18n import translate
from qaldyq.registry import service
from qaldyq.registry.schemas import OrganizationIn, OrganizationOut
from qaldyq.registry.vocab import LEGAL_FORMS, ORG_ROLES, ORG_STATUSES

org_app = typer.Typer(help="Organizations of the registry.", no_args_is_help=True)


def _org_json(org) -> dict:
    return OrganizationOut.model_validate(org).model_dump(mode="json")


@org_app.command("create")
def org_create(
    bin_: str = typer.Option(..., "--bin", help="BIN, 12 digits with a valid check digit"),
    name_kk: str = typer.Option(..., "--name-kk", help="name in Kazakh"),
    name_ru: str = typer.Option(..., "--name-ru", help="name in Russian"),
    legal_form: str = typer.Option(..., "--legal-form", help=", ".join(LEGAL_FORMS)),
    region: str = typer.Option(..., "--region", help="KATO code of the region, e.g. 710000000 (Astana)"),
    role: list[str] = typer.Option(..., "--role", help="repeat for several: " + ", ".join(ORG_ROLES)),
    address: str | None = typer.Option(None), phone: str | None = typer.Option(None), email: str | None = typer.Option(None),
    hazardous_license: str | None = typer.Option(None, "--hazardous-license"),
    as_json: bool = typer.Option(False, "--json", help="print the organization as JSON"),
):
    """Register an organization."""
    body = {"bin": bin_, "name_kk": name_kk, "name_ru": name_ru, "legal_form": legal_form, "region_kato": region, "roles": role,
            "address": address, "phone": phone, "email": email, "hazardous_license": hazardous_license}
    try:
        data = OrganizationIn.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        err.print("[red]error:[/red] the organization is not valid")
        for e in pydantic_field_errors([{**x, "loc": ("body", *x["loc"])} for x in exc.errors()]):
            err.print(f"  {e.pointer}: {translate('en', e.msgid, **e.params)}")
        raise typer.Exit(2) from None
    with cli_session("cli: org create") as db:
        out = _org_json(service.create_organization(db, None, data))
    emit(out, as_json, f"organization {out['name_ru']} registered (id {out['id']}, BIN {out['bin']})")


@org_app.command("list")
def org_list(
    q: str | None = typer.Option(None, "--search", "-q", help="words of the BIN or the names"),
    role: list[str] = typer.Option([], "--role", help="any of these roles"),
    region: str | None = typer.Option(None, "--region", help="KATO code"),
    status: str | None = typer.Option(None, "--status", help=", ".join(ORG_STATUSES)),
    limit: int = typer.Option(1000, min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="print a JSON array"),
):
    """List organizations (all of them: the command runs with the system's rights)."""
    with cli_session("cli: org list") as db:
        result = service.list_organizations(db, None, service.OrgFilters(q=q, roles=role, region=region, status=status), 1, limit)
        rows = [_org_json(o) for o in result.items]
    if as_json:
        emit(rows, True, "")
        return
    for o in rows:
        console.print(f"{o['id']:>6}  {o['bin']}  {o['region_kato']}  {o['name_ru']}  [dim]{', '.join(o['roles'])}[/dim]")
    console.print(f"[dim]{len(rows)} of {result.total}[/dim]")


def register(root: typer.Typer) -> None:
    root.add_typer(org_app, name="org")
