"""`qaldyq db …`, `qaldyq user …`, `qaldyq token …`, `qaldyq audit …`, `qaldyq serve`, `qaldyq demo`."""

from __future__ import annotations

import json
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import Progress

from qaldyq.core import audit, migrate, service
from qaldyq.core.config import get_settings
from qaldyq.core.database import Database
from qaldyq.core.errors import Problem

console = Console()
err = Console(stderr=True)

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


def database() -> Database:
    return Database(get_settings().database_url)


@contextmanager
def cli_session(label: str = "cli"):
    """One CLI command, one transaction; a Problem is printed and exits with status 2."""
    db = database()
    session = db.session(write=True)
    audit.set_actor(session, audit.Actor(None, None, label))
    try:
        yield session
        session.commit()
    except Problem as exc:
        session.rollback()
        body = exc.body("en")
        err.print(f"[red]error:[/red] {body.get('detail') or body['title']}")
        for e in body.get("errors", []):
            err.print(f"  {e.get('pointer') or e.get('parameter')}: {e['detail']}")
        raise typer.Exit(2)
    finally:
        session.close()
        db.dispose()


def emit(data, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        console.print(text)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")):
    """Apply the migrations (the URL comes from QALDYQ_DATABASE_URL)."""
    url = get_settings().database_url
    migrate.upgrade(url, revision)
    db = database()
    console.print(f"database {db.kind} at revisions {', '.join(migrate.current_revisions(db.engine))}")
    db.dispose()


@user_app.command("create")
def user_create(
    username: str = typer.Option(...), password: str = typer.Option(..., prompt=True, hide_input=True),
    full_name: str = typer.Option(...), org_bin: str = typer.Option(..., "--org-bin", help="BIN of the user's organization"),
    role: str = typer.Option(..., help="admin, authority, operator, akimat, inspector, org_admin or org_user"),
    email: str | None = typer.Option(None), as_json: bool = typer.Option(False, "--json"),
):
    """Create a user in an organization with a role."""
    from qaldyq.registry.service import organization_by_bin

    with cli_session() as db:
        org = organization_by_bin(db, org_bin)
        user = service.create_user(db, username=username, password=password, full_name=full_name, organization_id=org.id, role=role, email=email)
        data = {"id": user.id, "username": user.username, "organization_id": org.id, "role": user.role}
    emit(data, as_json, f"user {data['username']} created (id {data['id']})")


@token_app.command("create")
def token_create(
    username: str = typer.Option(...), name: str = typer.Option("cli"),
    scopes: str = typer.Option("read,write", help="comma-separated: read, write"), days: int = typer.Option(365),
    as_json: bool = typer.Option(False, "--json"),
):
    """Create an API token for a user; the secret is printed once."""
    with cli_session() as db:
        user = service.user_by_name(db, username)
        if user is None:
            raise_problem(f"no user {username}")
        token, secret = service.create_token(db, user, name, [s.strip() for s in scopes.split(",") if s.strip()], days)
        data = {"id": token.id, "token": secret, "scopes": token.scopes, "expires_at": token.expires_at.isoformat() if token.expires_at else None}
    emit(data, as_json, f"token {data['id']}: {secret}")


def raise_problem(message: str):
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@audit_app.command("verify")
def audit_verify(as_json: bool = typer.Option(False, "--json")):
    """Recompute the hash chain; report the first broken link if any record was altered or removed."""
    db = database()
    with db.session() as session, Progress(console=err, transient=True) as progress:
        task = progress.add_task("verifying the audit chain", total=None)
        result = audit.verify(session, progress=lambda done, total: progress.update(task, completed=done, total=total))
    db.dispose()
    data = {"ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq, "reason": result.reason}
    if as_json:
        print(json.dumps(data))
    elif result.ok:
        console.print(f"[green]audit chain intact[/green]: {result.checked} records")
    else:
        console.print(f"[red]audit chain broken at record {result.broken_seq}[/red]: {result.reason} ({result.checked} records verified before it)")
    raise typer.Exit(0 if result.ok else 1)


def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), workers: int = typer.Option(1)):
    """Serve the web UI and the API."""
    import uvicorn

    uvicorn.run("qaldyq.app:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=False)


i18n_app = typer.Typer(help="Translations (for developers).", no_args_is_help=True)


@i18n_app.command("update")
def i18n_update(domain: list[str] = typer.Argument(None, help="domains (default: all)")):
    """Add new messages to each domain's kk.po and ru.po and list what is still untranslated."""
    from qaldyq.core.i18n_extract import update_catalog
    from qaldyq.domains import DOMAINS, domain_module

    missing = 0
    for d in domain or [d for d in DOMAINS if domain_module(d, "models") or domain_module(d, "api") or domain_module(d, "service")]:
        for loc in ("kk", "ru"):
            todo = update_catalog(d, loc)
            missing += len(todo)
            for m in todo:
                console.print(f"{d}/{loc}: [yellow]untranslated[/yellow] {m}")
    raise typer.Exit(1 if missing else 0)


@i18n_app.command("fill")
def i18n_fill(domain: str, path: str = typer.Argument(..., help='JSON file: {"English": {"kk": "...", "ru": "..."}}')):
    """Write translations from a JSON file into a domain's catalogs."""
    from qaldyq.core.i18n_extract import fill_catalog

    data = json.loads(open(path, encoding="utf-8").read())
    for loc in ("kk", "ru"):
        n = fill_catalog(domain, loc, {k: v.get(loc, "") for k, v in data.items()})
        console.print(f"{domain}/{loc}: {n} translations set")


def demo(
    load_only: bool = typer.Option(False, "--load-only", help="load the demo data and exit"),
    host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), seed: int = typer.Option(2026),
):
    """Migrate, load the demo dataset (once), print the demo logins and serve."""
    from rich.table import Table

    from qaldyq.core.demo import DEMO_PASSWORD, DemoContext, demo_logins, is_loaded, load

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    db = database()
    with db.session(write=True) as session:
        if is_loaded(session):
            console.print("demo data already loaded")
        else:
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("loading demo data", total=None)
                load(session, DemoContext(seed=seed), progress=lambda i, n, what: progress.update(task, completed=i, total=n, description=f"demo: {what}"))
            session.commit()
        logins = demo_logins(session)
    db.dispose()
    if logins:
        table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD}) — demo data only, never in production")
        for col in ("user name", "role", "organization"):
            table.add_column(col)
        for login in logins:
            table.add_row(*login)
        console.print(table)
    if not load_only:
        console.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/api/v1/docs)")
        serve(host=host, port=port, workers=1)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
    root.add_typer(i18n_app, name="i18n")
    root.add_typer(db_app, name="db")
    root.add_typer(user_app, name="user")
    root.add_typer(token_app, name="token")
    root.add_typer(audit_app, name="audit")
    root.command("serve")(serve)
