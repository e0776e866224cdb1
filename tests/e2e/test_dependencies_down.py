"""A service started while Kafka or the store is down waits for it, not ready, instead of exiting, and starts
once its dependency answers; it stops within 10 s on SIGTERM even while the store is down (and while Kafka
is: tests/e2e/test_outages.py, since Kafka's clients reconnect past a proxy to the address it advertises)."""

import asyncio
import json

import pytest
from pymongo.uri_parser import parse_uri

from tests.support import stack as local_stack
from tests.support.processes import ServiceProcess
from tests.support.running import eventually, service_env
from tests.support.tcp_proxy import TcpProxy

SIGTERM_BOUND = 10.0
DOWN_FOR = 12.0


async def wait_down_then_come_back(service: ServiceProcess, proxy: TcpProxy, dependency: str) -> list[str]:
    """While the proxy is closed: alive, not ready, saying why; once it opens: ready. The lines it logged."""
    await service.start(until_ready=False)
    await asyncio.sleep(DOWN_FOR)
    assert service.alive, "it waits, it does not exit"
    answer = await service.probe("/readyz")
    assert answer is not None
    status, body = answer
    assert status == 503
    assert body["checks"][dependency] is False
    assert body["reasons"][dependency]
    lines_while_down = service.log_lines()
    await proxy.open()

    async def ready() -> bool:
        answer = await service.probe("/readyz")
        return answer is not None and answer[0] == 200

    await eventually(ready, timeout=45)
    return lines_while_down


def warnings_and_errors(lines: list[str]) -> list[str]:
    levels = []
    for line in lines:
        try:
            levels.append(json.loads(line)["level"])
        except (ValueError, KeyError):
            levels.append("unstructured")
    return [line for line, level in zip(lines, levels, strict=True) if level != "info"]


async def test_intake_started_while_kafka_is_down_waits_then_starts_and_stops_in_time(stack, tmp_path):
    kafka = TcpProxy(stack.kafka.bootstrap_servers)
    env = service_env(stack, "nx", "intake") | {"KAFKA_BOOTSTRAP_SERVERS": kafka.address}
    intake = ServiceProcess("intake", env, tmp_path / "intake.log")
    try:
        lines = await wait_down_then_come_back(intake, kafka, "kafka")
        # One line per try while waiting, the pauses doubling: a handful, not thousands.
        assert 1 <= len(warnings_and_errors(lines)) <= 12, "\n".join(lines)
        assert await asyncio.to_thread(intake.terminate) < SIGTERM_BOUND
    finally:
        intake.stop()
        await kafka.close()


@pytest.mark.skipif(not local_stack.ours("ferretdb"), reason="an external store may need more than host:port")
async def test_dispatch_started_while_the_store_is_down_waits_then_starts_and_stops_in_time(stack, tmp_path):
    host, port = parse_uri(stack.mongodb_uri)["nodelist"][0]
    store = TcpProxy(f"{host}:{port}")
    env = service_env(stack, "nx", "dispatch")
    env["MONGODB_URI"] = env["MONGODB_URI"].replace(f"{host}:{port}", store.address)  # its login kept
    dispatch = ServiceProcess("dispatch", env, tmp_path / "dispatch.log")
    try:
        lines = await wait_down_then_come_back(dispatch, store, "store")
        assert 1 <= len(warnings_and_errors(lines)) <= 12, "\n".join(lines)
        await store.close()
        await asyncio.sleep(2)
        assert await asyncio.to_thread(dispatch.terminate) < SIGTERM_BOUND
    finally:
        dispatch.stop()
        await store.close()
