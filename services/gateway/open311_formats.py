"""Open311's two formats, JSON and XML, for every answer under OPEN311 and for its errors.

Errors are Open311's own, not problem+json: a list of {code, description} in JSON, <errors><error> in
XML, in the format the path asks for. Open311 clients (city apps, FixMyStreet and the like) read that
shape and nothing else, so an RFC 9457 body would reach them as an unreadable failure. The rest of the
gateway still raises and audits its refusals as problems (services/gateway/problems.py); the middleware
below rewrites a problem answered under OPEN311 into Open311's shape, keeping its status (but a 422,
which Open311 calls 400) and its headers (Retry-After, WWW-Authenticate, Allow).
"""

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.schemas import PROBLEM_JSON

OPEN311 = "/open311/v2"
JSON, XML = "application/json", "text/xml; charset=utf-8"
# A list's XML element -> each member's (Open311 names them so: <attributes><attribute>, ...).
MEMBERS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
Item = Mapping[str, Any]


class Open311Error(BaseModel):
    code: int
    description: str


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ElementTree.Element, item: Item) -> None:
    for name, value in item.items():
        child = ElementTree.SubElement(element, name)
        if isinstance(value, list):
            for member in value:
                grandchild = ElementTree.SubElement(child, MEMBERS.get(name, "item"))
                if isinstance(member, Mapping):
                    _fill(grandchild, member)
                else:
                    grandchild.text = _text(member)
        elif isinstance(value, Mapping):
            _fill(child, value)
        else:
            child.text = _text(value)


def as_xml(root: str, member: str | None, items: Item | Sequence[Item]) -> bytes:
    """`<root><member>..</member>..</root>` for a list, `<root>..</root>` for one item (member None)."""
    top = ElementTree.Element(root)
    if isinstance(items, Mapping):
        _fill(top, items)
    else:
        for item in items:
            _fill(ElementTree.SubElement(top, member or "item"), item)
    written: bytes = ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)
    return written


def answer(
    format: str, body: Item | Sequence[Item], root: str, member: str | None, status: int = 200
) -> Response:
    """`body` in the format asked for; in XML, under `root` (each item of a list as `member`)."""
    if format == "xml":
        return Response(as_xml(root, member, body), status_code=status, media_type=XML)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text.encode(), status_code=status, media_type=JSON)


def errors_answer(format: str, status: int, description: str) -> tuple[int, bytes, str]:
    """An error as Open311 gives it: (status, body, content type)."""
    code = 400 if status == 422 else status
    errors = [{"code": code, "description": description}]
    if format == "xml":
        return code, as_xml("errors", "error", errors), XML
    return code, json.dumps(errors, ensure_ascii=False).encode(), JSON


def _described(problem: dict[str, Any]) -> str:
    """The problem's detail, each field at fault named after it."""
    said = str(problem.get("detail") or problem.get("title") or "refused")
    fields = [f"{e.get('field') or 'request'}: {e.get('message')}" for e in problem.get("errors", [])]
    return "; ".join([said, *fields]) if fields else said


class Open311Errors:
    """Rewrites the gateway's problem+json answers under OPEN311 as Open311 errors (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(OPEN311 + "/"):
            await self.app(scope, receive, send)
            return
        format = "xml" if path.endswith(".xml") else "json"
        held: list[Message] = []

        async def rewriting(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(PROBLEM_JSON.encode()):
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                await self._rewritten(held, format, send)
                return
            await send(message)

        await self.app(scope, receive, rewriting)

    @staticmethod
    async def _rewritten(held: list[Message], format: str, send: Send) -> None:
        start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
        try:
            problem = json.loads(body)
        except ValueError:
            problem = {}
        status, text, media_type = errors_answer(format, start["status"], _described(problem))
        kept = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in (b"content-type", b"content-length")
        ]
        length = str(len(text)).encode()
        headers = [*kept, (b"content-type", media_type.encode()), (b"content-length", length)]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": text})
