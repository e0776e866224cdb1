"""A lean HTTP/1.1 keep-alive client for the bench's load (h11 over asyncio streams).

httpx spent about 10 ms of CPU per request here, a third of this 2-core machine at 65 contacts/s, taken from
the services being measured; h11 alone does the protocol and the bench only moves bytes.
"""

from __future__ import annotations

import asyncio
import contextlib

import h11


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float, authorization: str | None = None) -> None:
        self._address = (host, port)
        self._authorization = authorization.encode() if authorization else None
        self._host = f"{host}:{port}".encode()
        self._timeout = timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._protocol = h11.Connection(h11.CLIENT)

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: bytes = b"application/json",
        headers: tuple[tuple[bytes, bytes], ...] = (),
        method: str = "POST",
    ) -> tuple[int, bytes]:
        """The status and body of one POST (or another `method`); HttpError when the exchange fails
        (nothing is retried)."""
        try:
            exchange = self._exchange(method, path, body, content_type, headers)
            return await asyncio.wait_for(exchange, self._timeout)
        except (OSError, TimeoutError, h11.ProtocolError, asyncio.IncompleteReadError) as error:
            await self.close()
            raise HttpError(repr(error)) from error

    async def _exchange(
        self,
        method: str,
        path: str,
        body: bytes,
        content_type: bytes,
        headers: tuple[tuple[bytes, bytes], ...],
    ) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self._address)
            self._protocol = h11.Connection(h11.CLIENT)
        reader, writer = self._streams
        request = h11.Request(
            method=method,
            target=path,
            headers=[
                (b"host", self._host),
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *([(b"authorization", self._authorization)] if self._authorization else []),
                *headers,
            ],
        )
        writer.write(
            self._protocol.send(request)
            + self._protocol.send(h11.Data(data=body))
            + self._protocol.send(h11.EndOfMessage())
        )
        await writer.drain()
        status, chunks = 0, []
        while True:
            event = self._protocol.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                if not data:
                    raise asyncio.IncompleteReadError(b"", None)
                self._protocol.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
        if self._protocol.our_state is h11.MUST_CLOSE or self._protocol.their_state is h11.MUST_CLOSE:
            await self.close()
        else:
            self._protocol.start_next_cycle()
        return status, b"".join(chunks)

    async def close(self) -> None:
        if self._streams is not None:
            _, writer = self._streams
            self._streams = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
