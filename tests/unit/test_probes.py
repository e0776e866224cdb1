import httpx
from fastapi import FastAPI

from plumbing.runtime import build_runtime
from plumbing.serve import add_probes
from plumbing.settings import ServiceSettings


def unreachable_dependencies() -> ServiceSettings:
    """Kafka and a store on a port nothing listens on."""
    return ServiceSettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_uri="mongodb://127.0.0.1:1/",
        hotline_province="gd",
        hotline_environment="local",
    )


async def test_readiness_answers_503_saying_why_while_kafka_and_the_store_are_unreachable():
    settings = unreachable_dependencies()
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
        "checks": {"started": False, "kafka": False, "store": False},
        "reasons": {
            "started": "starting: under way",
            "kafka": "the broker is not connected",
            "store": "no answer within 0.8 s",
        },
    }


def test_kafka_or_the_store_not_answering_is_waited_for_and_a_refusal_is_not():
    from aiokafka.errors import AuthenticationFailedError, KafkaConnectionError
    from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

    from plumbing.runtime import unreachable

    assert unreachable(KafkaConnectionError("Unable to bootstrap"))
    assert unreachable(ServerSelectionTimeoutError("no server"))
    assert unreachable(ConnectionRefusedError())
    assert not unreachable(AuthenticationFailedError())
    assert not unreachable(OperationFailure("Authentication failed", code=18))
    assert not unreachable(ValueError("a bad rule table"))


async def test_a_service_that_cannot_start_for_a_reason_other_than_an_outage_gives_up_and_says_why():
    import pytest

    settings = unreachable_dependencies()
    runtime = build_runtime(settings, "intake")

    async def broken_rule_table() -> None:
        raise ValueError("routing rule 3: no department")

    runtime.startup.append(broken_rule_table)
    try:
        with pytest.raises(ValueError, match="routing rule 3"):
            await runtime.start_when_reachable(first_pause=0.01)
    finally:
        assert runtime.mongo is not None
        await runtime.mongo.close()
    assert runtime.failed == "ValueError: routing rule 3: no department"
    assert not runtime.started
