"""RFC 9457 problem details. Every error names its field with a JSON Pointer (body) or a
parameter name (query, path) and speaks the caller's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException

from qaldyq.core.i18n import N_, translate

PROBLEM_JSON = "application/problem+json"


@dataclass
class FieldError:
    msgid: str
    pointer: str | None = None  # JSON Pointer into the request body, e.g. "/sites/0/lat"
    parameter: str | None = None  # query, path or header parameter
    params: dict[str, Any] = field(default_factory=dict)
    code: str = "invalid"


class Problem(Exception):
    """Raise from services; the handler renders it. Nothing is committed after a Problem."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        errors: list[FieldError] | None = None,
        **params: Any,
    ):
        super().__init__(f"{code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.params = params

    def body(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": f"urn:qaldyq:problem:{self.code}",
            "title": translate(locale, self.title),
            "status": self.status,
        }
        if self.detail:
            out["detail"] = translate(locale, self.detail, **self.params)
        if instance:
            out["instance"] = instance
        if self.errors:
            out["errors"] = [render_field_error(e, locale) for e in self.errors]
        return out


def render_field_error(e: FieldError, locale: str) -> dict[str, Any]:
    item: dict[str, Any] = {"code": e.code, "detail": translate(locale, e.msgid, **e.params)}
    if e.pointer is not None:
        item["pointer"] = e.pointer
    if e.parameter is not None:
        item["parameter"] = e.parameter
    return item


def invalid(pointer: str, msgid: str, code: str = "invalid", status: int = 422, **params) -> Problem:
    """One invalid body field."""
    return Problem(status, code, "The request is not valid.", msgid, [FieldError(msgid, pointer=pointer, params=params, code=code)], **params)


def invalid_param(name: str, msgid: str, code: str = "invalid", **params) -> Problem:
    return Problem(422, code, "The request is not valid.", msgid, [FieldError(msgid, parameter=name, params=params, code=code)], **params)


def conflict(pointer: str | None, msgid: str, code: str = "conflict", **params) -> Problem:
    errors = [FieldError(msgid, pointer=pointer, params=params, code=code)] if pointer else []
    return Problem(409, code, "The request conflicts with the current state.", msgid, errors, **params)


def not_found(msgid: str = "Not found.", **params) -> Problem:
    return Problem(404, "not-found", "Not found.", msgid, **params)


def forbidden(msgid: str = N_("You are not allowed to do this."), **params) -> Problem:
    return Problem(403, "forbidden", "Forbidden.", msgid, **params)


def unauthorized() -> Problem:
    return Problem(401, "unauthorized", "Authentication is required.", "Log in or send a valid API token.")


def field_error(msgid: str, **params) -> PydanticCustomError:
    """Raise from Pydantic validators so the message is translated like any other."""
    return PydanticCustomError("qaldyq", msgid, {**params, "__msgid__": msgid})  # Pydantic formats msg; keep the id


# Pydantic's error types, worded for people; {placeholders} come from the error's ctx.
PYDANTIC_MESSAGES = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("This field is not allowed here."),
    "string_type": N_("Must be text."),
    "string_too_short": N_("Must have at least {min_length} characters."),
    "string_too_long": N_("Must have at most {max_length} characters."),
    "string_pattern_mismatch": N_("Has the wrong format."),
    "int_type": N_("Must be a whole number."),
    "int_parsing": N_("Must be a whole number."),
    "int_from_float": N_("Must be a whole number."),
    "float_type": N_("Must be a number."),
    "float_parsing": N_("Must be a number."),
    "decimal_type": N_("Must be a number."),
    "decimal_parsing": N_("Must be a number."),
    "decimal_max_places": N_("Must have at most {decimal_places} decimal places."),
    "decimal_max_digits": N_("Has too many digits."),
    "finite_number": N_("Must be a finite number."),
    "bool_type": N_("Must be true or false."),
    "bool_parsing": N_("Must be true or false."),
    "greater_than": N_("Must be greater than {gt}."),
    "greater_than_equal": N_("Must be at least {ge}."),
    "less_than": N_("Must be less than {lt}."),
    "less_than_equal": N_("Must be at most {le}."),
    "date_type": N_("Must be a date (YYYY-MM-DD)."),
    "date_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "datetime_type": N_("Must be a date and time (ISO 8601)."),
    "datetime_parsing": N_("Must be a date and time (ISO 8601)."),
    "datetime_from_date_parsing": N_("Must be a date and time (ISO 8601)."),
    "enum": N_("Must be one of: {expected}."),
    "literal_error": N_("Must be one of: {expected}."),
    "list_type": N_("Must be a list."),
    "dict_type": N_("Must be an object."),
    "model_type": N_("Must be an object."),
    "model_attributes_type": N_("Must be an object."),
    "too_short": N_("Must have at least {min_length} items."),
    "too_long": N_("Must have at most {max_length} items."),
    "json_invalid": N_("The body is not valid JSON."),
    "uuid_parsing": N_("Must be a UUID."),
    "union_tag_invalid": N_("Must be one of: {expected_tags}."),
    "union_tag_not_found": N_("The field {discriminator} is required."),
}


def pydantic_field_errors(errors: list[dict]) -> list[FieldError]:
    out: list[FieldError] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        where = loc[0] if loc else "body"
        rest = [str(p).replace("~", "~0").replace("/", "~1") for p in loc[1:]]
        ctx = {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in (err.get("ctx") or {}).items()}
        if err.get("type") == "qaldyq":
            msgid = err.get("msg", "")
            msgid = err.get("ctx", {}).get("__msgid__", msgid)
        else:
            msgid = PYDANTIC_MESSAGES.get(err.get("type", ""), err.get("msg", N_("Invalid value.")))
        try:
            msgid.format(**ctx)
        except (KeyError, IndexError, ValueError):
            ctx = {}
            msgid = err.get("msg", "Invalid value.")
        code = err.get("type", "invalid")
        if where == "body":
            out.append(FieldError(msgid, pointer="/" + "/".join(rest) if rest else "", params=ctx, code=code))
        else:
            out.append(FieldError(msgid, parameter=".".join(rest) or str(where), params=ctx, code=code))
    return out


def request_locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or "en"


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    headers = {"Content-Language": request_locale(request)}
    if problem.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        problem.body(request_locale(request), instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def handle_problem(request: Request, exc: Problem):
    return problem_response(request, exc)


async def handle_validation(request: Request, exc: RequestValidationError):
    errors = pydantic_field_errors(exc.errors())
    first = errors[0].msgid if errors else "The request is not valid."
    params = errors[0].params if errors else {}
    return problem_response(request, Problem(422, "validation", "The request is not valid.", first, errors, **params))


async def handle_http(request: Request, exc: StarletteHTTPException):
    titles = {404: N_("Not found."), 405: N_("Method not allowed."), 401: N_("Authentication is required."), 403: N_("Forbidden.")}
    title = titles.get(exc.status_code, N_("The request could not be processed."))
    return problem_response(request, Problem(exc.status_code, f"http-{exc.status_code}", title))


async def handle_integrity(request: Request, exc):
    # A uniqueness or integrity rule that the database enforced, typically two clients racing for
    # the same thing (the same VIN, the same tonnes): the loser gets a clear 409, not a 500.
    return problem_response(request, Problem(409, "conflict", "The request conflicts with the current state.",
                                             N_("Another request changed the same data at the same moment. Reload and try again.")))


def _busy(request: Request, retry_after: int):
    response = problem_response(request, Problem(503, "overloaded", "The service is busy.", N_("The service is busy. Try again in a few seconds.")))
    response.headers["Retry-After"] = str(retry_after)
    return response


async def handle_overload(request: Request, exc):
    # No database connection came free in time: ask the client to retry instead of failing with 500.
    return _busy(request, 5)


# PostgreSQL's verdicts on a transaction that met another one, after which the same request
# succeeds when sent again: deadlock detected, serialization failure, lock not available.
RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}


async def handle_operational(request: Request, exc):
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return _busy(request, 1)
    raise exc


def install(app) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(IntegrityError, handle_integrity)
    app.add_exception_handler(OperationalError, handle_operational)
    app.add_exception_handler(PoolTimeout, handle_overload)
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http)
