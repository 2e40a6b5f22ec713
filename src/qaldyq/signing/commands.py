"""`qaldyq pki trust add|list|remove`, `qaldyq pki issuing-ca`, `qaldyq pki check-signatures`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from qaldyq.core.commands import cli_session, console, database, err

pki_app = typer.Typer(help="Certification authorities and signatures.", no_args_is_help=True)
trust_app = typer.Typer(help="The trusted certification authorities.", no_args_is_help=True)
pki_app.add_typer(trust_app, name="trust")


@trust_app.command("add")
def trust_add(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="PEM file with one or more CA certificates"),
              label: str | None = typer.Option(None, help="a name to show"), as_json: bool = typer.Option(False, "--json")):
    """Trust the CA certificates in a PEM file (a root and its intermediates)."""
    from qaldyq.signing import service

    with cli_session("cli: pki trust add") as db:
        rows = service.trust_add(db, path.read_text(), label)
        data = [{"fingerprint": r.fingerprint, "subject": r.subject, "not_after": r.not_after.isoformat()} for r in rows]
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for d in data:
            console.print(f"trusted [bold]{d['subject']}[/bold] (sha256 {d['fingerprint']}, valid to {d['not_after'][:10]})")


@trust_app.command("list")
def trust_list(all_: bool = typer.Option(False, "--all", help="include removed ones"), as_json: bool = typer.Option(False, "--json")):
    """List the trusted certification authorities."""
    from qaldyq.signing import service

    with cli_session() as db:
        rows = service.trusted_cas(db, include_removed=all_)
        data = [{"fingerprint": r.fingerprint, "subject": r.subject, "issuer": r.issuer, "not_after": r.not_after.isoformat(),
                 "self_signed": r.self_signed, "issues_held_keys": r.private_key_enc is not None,
                 "removed_at": r.removed_at.isoformat() if r.removed_at else None} for r in rows]
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title="Trusted certification authorities")
    for col in ("subject", "sha256", "valid to", "root", "removed"):
        table.add_column(col)
    for d in data:
        table.add_row(d["subject"], d["fingerprint"], d["not_after"][:10], "yes" if d["self_signed"] else "", (d["removed_at"] or "")[:10])
    console.print(table)


@trust_app.command("remove")
def trust_remove(fingerprint: str = typer.Argument(..., help="SHA-256 fingerprint (hex, colons allowed)")):
    """Stop trusting a certification authority."""
    from qaldyq.signing import service

    with cli_session("cli: pki trust remove") as db:
        row = service.trust_remove(db, fingerprint)
        subject = row.subject
    console.print(f"no longer trusted: {subject}")


@pki_app.command("issuing-ca")
def issuing_ca(name: str = typer.Option(..., help="common name of the CA"), organization: str = typer.Option(..., help="organization name"),
               years: int = typer.Option(10, min=1, max=30)):
    """Create a CA whose key this instance keeps (encrypted) to issue web users' signing keys."""
    from qaldyq.signing import service

    with cli_session("cli: pki issuing-ca") as db:
        row = service.create_issuing_ca(db, name, organization, years)
        fp = row.fingerprint
    console.print(f"issuing CA created and trusted (sha256 {fp})")


@pki_app.command("check-signatures")
def check_signatures(as_json: bool = typer.Option(False, "--json")):
    """Re-verify every stored signature; exit 1 if any was altered."""
    from qaldyq.signing import service

    db = database()
    with db.session() as session, Progress(console=err, transient=True) as progress:
        task = progress.add_task("checking stored signatures", total=None)
        checked, bad = service.check_all_stored(session, progress=lambda done, total: progress.update(task, completed=done, total=total))
    db.dispose()
    if as_json:
        print(json.dumps({"checked": checked, "altered": [{"id": i, "problems": p} for i, p in bad]}))
    elif not bad:
        console.print(f"[green]all {checked} stored signatures verify[/green]")
    else:
        for i, problems in bad:
            console.print(f"[red]signature {i}[/red]: {'; '.join(problems)}")
    raise typer.Exit(1 if bad else 0)


def register(root: typer.Typer) -> None:
    root.add_typer(pki_app, name="pki")
