"""The OpenAPI document says what the API really answers: errors are problem+json (RFC 9457),
not FastAPI's default validation schema, so clients and fuzzers can check every error."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "detail"],
                "properties": {
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                },
            },
        },
    },
}
ERROR_STATUSES = {
    "400": "Bad request",
    "401": "Authentication is required",
    "403": "Forbidden",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Too large",
    "415": "Unsupported media type",
    "422": "The request is not valid",
    "429": "Too many requests",
    "503": "The service is busy; retry after the Retry-After seconds",
}


def install(app: FastAPI) -> None:
    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path in doc.get("paths", {}).values():
            for op in path.values():
                responses = op.setdefault("responses", {})
                for status, text in ERROR_STATUSES.items():
                    responses[status] = {"description": text, "content": ref}
        app.openapi_schema = doc
        return doc

    app.openapi = openapi
