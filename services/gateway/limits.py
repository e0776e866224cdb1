"""What one caller may send: requests per principal in a sliding window (the `limits` library's counter,
two numbers a principal, where a moving window kept one entry per request: at 30,000 a minute every hit
moved a list that long, and expiring it took 7% of a replica's time at 1,000 requests a second), and the
size of a request's body. Both answer with problem+json: 429 with Retry-After, 413."""

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.schemas import PROBLEM_JSON, Problem


class TooManyRequests(Exception):
    def __init__(self, retry_after: int, detail: str | None = None, audit_detail: str | None = None) -> None:
        super().__init__(detail or f"more than the principal's rate; retry in {retry_after} s")
        self.retry_after = retry_after
        self.audit_detail = audit_detail


class RateLimit:
    """Per principal (or client id) and gateway replica: the counts live in this process (a shared
    store comes with more replicas)."""

    def __init__(self, rate: str) -> None:
        self._rate = parse(rate)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def take(self, who: str) -> None:
        if await self._limiter.hit(self._rate, who):
            return
        await self._refuse(who)

    async def check(self, who: str) -> None:
        """TooManyRequests if `who` is already over its rate, without counting this call."""
        if not await self._limiter.test(self._rate, who):
            await self._refuse(who)

    async def _refuse(self, who: str) -> None:
        stats = await self._limiter.get_window_stats(self._rate, who)
        raise TooManyRequests(max(1, math.ceil(stats.reset_time - time.time())))


class BodyLimit:
    """Refuses a body over `max_bytes` before the app reads any of it, declared or streamed.

    A path of `larger` (a customer export) has its own, larger limit, and its body is not read ahead:
    the route identifies its caller first and reads the body only then, so a caller without a credential
    never makes a replica hold megabytes. Past the limit the route is told the client left, and the
    answer is 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self._app = app
        self._max = max_bytes
        self._larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self._larger.get(path, self._max)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        if path in self._larger:
            await self._counted(scope, receive, send, limit)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-body: an abandoned request is not taken
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await self._refuse(send, limit)
                return
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._app(scope, replay, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        size, over, answered = 0, False, False

        async def counting() -> Message:
            nonlocal size, over
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def unless_over(message: Message) -> None:
            nonlocal answered
            if over:
                return  # the route's answer to a "disconnect" is replaced by the 413 below
            answered = True
            await send(message)

        try:
            await self._app(scope, counting, unless_over)
        except ClientDisconnect:
            if not over:
                raise
        if over and not answered:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        problem = Problem(title="Request body too large", status=413, detail=f"at most {limit} bytes")
        payload = problem.model_dump_json(exclude_none=True).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
