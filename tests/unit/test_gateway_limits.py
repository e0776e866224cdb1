"""What one caller may send: its rate of requests (429 with Retry-After) and the size of a body (413)."""

import httpx
import pytest

from deploy.local.callers import LocalCaller
from services.gateway.settings import GatewaySettings
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import CONTACT, REPLY, app_with


def limited_gateway(
    publisher: RecordingPublisher, rate: str, max_body_bytes: int = 65536
) -> httpx.AsyncClient:
    app = app_with(publisher, gateway_rate_limit=rate, gateway_max_body_bytes=max_body_bytes)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", auth=LocalCaller("gd")
    )


async def test_a_principal_over_its_rate_gets_429_with_retry_after_and_others_are_not_held_back():
    publisher = RecordingPublisher()
    async with limited_gateway(publisher, "2/minute") as client:
        answers = [(await client.post("/v1/contacts/web", json=CONTACT)).status_code for _ in range(3)]
        refused = await client.post("/v1/contacts/web", json=CONTACT)
        department = await client.post("/v1/departments/repair/replies", json=REPLY)
    assert answers == [202, 202, 429]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert department.status_code == 202, "another principal has its own count"
    assert len(publisher.published) == 3


async def test_a_body_over_the_limit_is_413_before_it_is_read_and_nothing_is_published():
    publisher = RecordingPublisher()
    async with limited_gateway(publisher, "100/minute", max_body_bytes=2048) as client:
        response = await client.post("/v1/contacts/web", json=CONTACT | {"description": "停" * 2000})

        async def streamed():  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b" " * 500

        undeclared = await client.post(
            "/v1/contacts/web", content=streamed(), headers={"content-type": "application/json"}
        )
        fits = await client.post("/v1/contacts/web", json=CONTACT)
    assert (response.status_code, undeclared.status_code) == (413, 413)
    assert response.json() == {
        "type": "about:blank",
        "title": "Request body too large",
        "status": 413,
        "detail": "at most 2048 bytes",
        "errors": [],
    }
    assert fits.status_code == 202
    assert len(publisher.published) == 1


async def test_a_request_whose_client_goes_away_mid_body_is_not_handed_to_the_app():
    from services.gateway.limits import BodyLimit

    called: list[object] = []

    async def app(scope: object, receive: object, send: object) -> None:
        called.append(scope)

    messages = iter(
        [{"type": "http.request", "body": b'{"phone": "139', "more_body": True}, {"type": "http.disconnect"}]
    )

    async def receive() -> dict[str, object]:
        return next(messages)

    async def send(_message: object) -> None:
        raise AssertionError("nothing is answered to a client that left")

    await BodyLimit(app, max_bytes=4096)({"type": "http", "headers": []}, receive, send)  # type: ignore[arg-type]
    assert called == []


def test_a_rate_limits_cannot_read_is_refused_at_start():
    with pytest.raises(ValueError, match="not a rate such as 600/minute"):
        GatewaySettings(
            kafka_bootstrap_servers="127.0.0.1:1", hotline_province="gd", gateway_rate_limit="5/fortnight"
        )
