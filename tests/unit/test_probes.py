import httpx
from fastapi import FastAPI

from plumbing.runtime import build_runtime
from plumbing.serve import add_probes
from plumbing.settings import ServiceSettings


async def test_readiness_answers_503_saying_why_while_kafka_and_the_store_are_unreachable():
    settings = ServiceSettings(
        kafka_bootstrap_servers="127.0.0.1:1", mongodb_uri="mongodb://127.0.0.1:1/", hotline_province="gd"
    )
    runtime = build_runtime(settings, "intake")
    app = FastAPI()
    add_probes(app, runtime)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://intake"
        ) as client:
            response = await client.get("/readyz")
    finally:
        assert runtime.mongo is not None
        await runtime.mongo.close()
    assert response.status_code == 503
    assert response.json() == {
        "ready": False,
        "checks": {"kafka": False, "store": False},
        "reasons": {"kafka": "the broker is not connected", "store": "no answer within 0.8 s"},
    }
