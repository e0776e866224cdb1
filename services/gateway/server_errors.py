"""An exception no handler answers (a bug, a library failing as nobody foresaw) as RFC 9457 problem+json
500, where Starlette would answer text/plain; under Open311 the Open311Errors middleware outside this
one rewrites it into Open311's error list, as it does every refusal.

The answer says nothing of the exception: its text may quote what a customer sent, or the gateway's
insides. The log has it, with its traceback. Once answered it is not raised further: the server would
log it again, and the tracing middleware would copy its text into the span (which still shows the 500).
"""

from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plumbing.error_text import error_text
from services.gateway.schemas import Problem

SERVER_ERROR = Problem(
    title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
    status=500,
    detail="The gateway failed on this request and has logged why. Retry later: a call retried with "
    "the same Idempotency-Key is taken once.",
)


class ServerErrors:
    """Inside the other middleware, so that they see its answer as any route's (module docstring)."""

    def __init__(self, app: ASGIApp, log: Any) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, sending)
        except Exception as error:
            said = "unexpected error; answered 500" if not started else "unexpected error mid-answer"
            where = {"method": scope.get("method"), "path": scope.get("path")}
            self._log.error(said, error=error_text(error), exc_info=error, **where)
            if started:
                raise  # too late for another answer: the server ends the connection
            await SERVER_ERROR.response()(scope, receive, send)
