"""Reading the multipart report form (the API and the web form share it). Fields are validated by
the strict `ReportIn` model (an unknown field is an error), files only under `photos`."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from qaldyq.citizens.config import citizen_settings
from qaldyq.citizens.schemas import ReportIn
from qaldyq.citizens.service import Upload
from qaldyq.core.errors import Problem, invalid, pydantic_field_errors

IGNORED = ("csrf_token",)  # the web form's own field, checked by the auth layer


def validation_problem(exc: ValidationError) -> Problem:
    errors = pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
    first = errors[0] if errors else None
    return Problem(422, "validation", "The request is not valid.", first.msgid if first else None, errors, **(first.params if first else {}))


async def read_upload(f: UploadFile, pointer: str) -> Upload | None:
    if not f.filename and not f.size:
        return None  # an empty file input of a browser form
    limit = citizen_settings().max_photo_bytes
    data = await f.read(limit + 1)
    return Upload(pointer, data, too_large=len(data) > limit)


async def read_report_form(request: Request) -> tuple[dict, ReportIn | None, Problem | None, list[Upload]]:
    """(raw fields, model or None, problem or None, uploads). Problems are returned, not raised,
    so the web form can show them next to its fields."""
    s = citizen_settings()
    form = await request.form(max_files=s.max_photos + 5, max_fields=40)
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    problem: Problem | None = None
    index = 0
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "photos":
                problem = problem or invalid(f"/{key}", "This field is not allowed here.", code="extra_forbidden")
                continue
            up = await read_upload(value, f"/photos/{index}")
            index += 1
            if up is not None:
                uploads.append(up)
        elif key not in IGNORED:
            if key in fields:
                problem = problem or invalid(f"/{key}", "This field is given twice.", code="duplicate-field")
            fields[key] = value
    try:
        model = ReportIn.model_validate(fields)
    except ValidationError as exc:
        return fields, None, problem or validation_problem(exc), uploads
    return fields, model, problem, uploads


def openapi_body() -> dict:
    """The multipart schema for the API documentation."""
    schema = ReportIn.model_json_schema()
    schema["properties"]["photos"] = {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": citizen_settings().max_photos,
                                      "description": "JPEG, PNG or WebP; re-encoded without metadata"}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
