"""The gateway's OpenAPI document says what it answers: every refusal is application/problem+json with
the Problem schema (FastAPI would document application/json, and its own 422 shape we never send), but
Open311's, which are Open311's own errors in JSON or XML. Every operation may answer 500, in the same
shape as its refusals (server_errors.py), so each lists it."""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.open311_formats import JSON, OPEN311, XML
from services.gateway.schemas import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
OPEN311_ERRORS = {
    JSON: {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}},
    XML: {
        "schema": {"type": "string", "description": "<errors><error><code/><description/></error></errors>"}
    },
}


def document_problems(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for path, operations in document["paths"].items():
                # Open311's refusals are its own errors, in the format its path asks for (open311_formats).
                refusal = (
                    OPEN311_ERRORS
                    if path.startswith(OPEN311 + "/")
                    else {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                )
                for operation in operations.values():
                    operation.setdefault("responses", {}).setdefault(
                        "500", {"description": HTTPStatus.INTERNAL_SERVER_ERROR.phrase}
                    )
                    for status, response in operation["responses"].items():
                        if status.isdigit() and int(status) >= 400:
                            response["content"] = refusal
            schemas = document.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
