"""The FastAPI application: API under /api/v1, server-rendered pages at the root."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders

from qaldyq import __version__
from qaldyq.core import errors, openapi
from qaldyq.core.auth import SAFE_METHODS
from qaldyq.core.config import Settings, get_settings
from qaldyq.core.database import Database
from qaldyq.core.i18n import LOCALES, negotiate
from qaldyq.core.roles import ROLE_LABELS, Role
from qaldyq.domains import import_all_models, modules
from qaldyq.web import HERE as WEB_DIR
from qaldyq.web import render, templates

API_PREFIX = "/api/v1"
LANG_COOKIE = "qaldyq_lang"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    import_all_models()
    app = FastAPI(
        title="Qaldyq API",
        version=__version__,
        description="Unified information system for accounting and monitoring of all waste types (Kazakhstan).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    # A pooled connection for every admitted request, plus a few for what runs outside a request's
    # session (the health check's migration look-up).
    pool = {} if settings.database_url.startswith("sqlite") else {"pool_size": settings.max_concurrent_requests, "max_overflow": 4}
    app.state.db = db or Database(settings.database_url, **pool)
    templates.env.globals["role_label"] = lambda role: ROLE_LABELS.get(Role(role), str(role))
    app.add_middleware(Admission, requests=settings.max_concurrent_requests, writes=settings.max_concurrent_writes,
                       wait=settings.admission_wait_seconds)

    app.add_middleware(LocaleAndHeaders, settings=settings)

    errors.install(app)
    openapi.install(app)
    _install_page_errors(app)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    for mod in modules("api"):
        app.include_router(mod.router, prefix=API_PREFIX)
    for mod in modules("views"):
        app.include_router(mod.router)
    return app


class LocaleAndHeaders:
    """Chooses the locale (?lang=, then the cookie, then Accept-Language) into request.state and
    adds the security headers (and no-store on the API) to every response. Plain ASGI rather than
    @app.middleware("http"): that wrapper runs each request through an extra task and streams
    the body through a queue, measurable CPU on every request of a 2-core server."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        cookie = Response()
        cookie.set_cookie(LANG_COOKIE, "LANG", max_age=365 * 86400, samesite="lax", secure=settings.secure_cookies)
        self.cookie_template = cookie.headers["set-cookie"]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        asked = request.query_params.get("lang")
        chosen = asked if asked in LOCALES else request.cookies.get(LANG_COOKIE)
        if chosen not in LOCALES:
            chosen = negotiate(request.headers.get("accept-language"), self.settings.default_locale)
        request.state.locale = chosen
        api = scope["path"].startswith(API_PREFIX)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if asked in LOCALES:
                    headers.append("set-cookie", self.cookie_template.replace("=LANG;", f"={asked};", 1))
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if api:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# POSTs that write nothing (the payload to sign is computed from the body), admitted as reads.
READ_ONLY_POST_SUFFIXES = ("/signing-request", "/bulk/signing-requests")  # POSTs that compute and write nothing


class Admission:
    """At most `requests` requests at a time per worker process, of which at most `writes` may
    change data; the others wait here, in the event loop, holding neither a thread nor a
    database connection, and are answered 503 with Retry-After if not admitted within `wait`
    seconds.

    Why: a request runs on one of the thread pool's 40 threads and holds a pooled connection from
    its first query to its end. Writers queue on row locks (the audit chain's head, the number
    counters), and without a limit they pile up until every connection is taken and readers, who
    need no lock, time out on the pool. With the limit readers always find a thread and a
    connection, and writers wait in a line that costs nothing (docs/quality.md, "Load")."""

    def __init__(self, app, requests: int, writes: int, wait: float):
        self.app, self.requests, self.writes, self.wait = app, requests, writes, wait
        self._loop = None

    def _semaphores(self):
        # asyncio primitives belong to one event loop; tests run apps on several in turn
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._all, self._writers = loop, asyncio.Semaphore(self.requests), asyncio.Semaphore(self.writes)
        return self._all, self._writers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        every, writers = self._semaphores()
        reads = scope["method"] in SAFE_METHODS or scope["path"].endswith(READ_ONLY_POST_SUFFIXES)
        gates = [every] if reads else [writers, every]
        taken = []
        try:
            try:
                async with asyncio.timeout(self.wait):
                    for gate in gates:
                        await gate.acquire()
                        taken.append(gate)
            except TimeoutError:
                response = await errors.handle_overload(Request(scope), None)
                return await response(scope, receive, send)
            await self.app(scope, receive, send)
        finally:
            for gate in taken:
                gate.release()


def _install_page_errors(app: FastAPI) -> None:
    """Pages get HTML errors (and a redirect to the login page); the API keeps problem+json."""
    api_problem = app.exception_handlers[errors.Problem]
    api_validation = app.exception_handlers[errors.RequestValidationError]
    api_http = app.exception_handlers[errors.StarletteHTTPException]

    def is_page(request: Request) -> bool:
        return not request.url.path.startswith(API_PREFIX) and "text/html" in request.headers.get("accept", "")

    async def on_problem(request: Request, exc: errors.Problem):
        if not is_page(request):
            return await api_problem(request, exc)
        if exc.status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        body = exc.body(errors.request_locale(request))
        return render(request, "core/error.html", {"problem": body}, status_code=exc.status)

    async def on_http(request: Request, exc):
        if not is_page(request):
            return await api_http(request, exc)
        return await on_problem(request, errors.Problem(exc.status_code, f"http-{exc.status_code}", "Not found." if exc.status_code == 404 else "The request could not be processed."))

    app.add_exception_handler(errors.Problem, on_problem)
    app.add_exception_handler(errors.StarletteHTTPException, on_http)
    app.add_exception_handler(errors.RequestValidationError, api_validation)
