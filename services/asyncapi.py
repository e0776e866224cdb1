"""One AsyncAPI 3.0 document for a subsystem's services, generated from what their bootstraps declare.

    python -m services.asyncapi [--province gd] [--out asyncapi.yaml]

FastStream writes a channel per endpoint, and documents the consumers' handlers, which take the raw record
rather than a model, as an empty payload. The document here has one channel per topic instead, carrying the
event schemas its publisher declares (plumbing.bus.declare_publication), and every service's send and
receive operations refer to that channel.

Nothing is started or connected: runtimes are built, their brokers read, and dropped. The output is JSON,
which is also YAML 1.2, so any YAML reader (and the AsyncAPI parser) takes it as asyncapi.yaml.
"""

import argparse
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.utils import ref
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from contracts.provinces import HUB, PROVINCES
from plumbing.documents import write_document
from plumbing.telemetry import Telemetry
from services.registry import SERVICES

# Only the Kafka address reaches the document; the store and the SMS gateway are never dialled.
UNUSED_DEPENDENCIES = {
    "mongodb_uri": "mongodb://127.0.0.1:9/",
    "kannel_sendsms_url": "http://127.0.0.1:9/cgi-bin/sendsms",
    "kannel_username": "unused",
    "kannel_password": "unused",
    # Nothing is dialled or signed while the document is built: the made-up values above may stand.
    "hotline_environment": "local",
}
LOCAL_KAFKA = "127.0.0.1:9092"


def brokers(province: str = "gd", *, kafka_bootstrap_servers: str = LOCAL_KAFKA) -> list[KafkaBroker]:
    """The brokers of one subsystem's services ("hub" for the hub), as their bootstraps build them."""
    tier = "hub" if province == HUB else "province"
    values = UNUSED_DEPENDENCIES | {
        "kafka_bootstrap_servers": kafka_bootstrap_servers,
        "hotline_tier": tier,
        "hotline_province": province,
    }
    # Providers without exporters: the default ones would export when OTEL_* variables are set.
    quiet = Telemetry(TracerProvider(), MeterProvider())
    return [entry.build(values, telemetry=quiet).runtime.broker for entry in SERVICES]


def document(province: str = "gd", *, kafka_bootstrap_servers: str = LOCAL_KAFKA) -> dict[str, Any]:
    """The subsystem's AsyncAPI 3.0.0 document, as JSON-ready data."""
    specification = AsyncAPI(
        *brokers(province, kafka_bootstrap_servers=kafka_bootstrap_servers),
        title="Hotline",
        version=version("hotline"),
        schema_version="3.0.0",
        description=(
            f"Kafka topics of Hotline's {province} subsystem: what each service publishes and consumes. "
            "Every record is a CloudEvent in Kafka binary mode: the payload is the event's data, "
            "the ce_* headers carry its type, id and source, and the key is its subject."
        ),
    ).to_specification()
    generated: dict[str, Any] = specification.to_jsonable()
    return _one_channel_per_topic(generated)


def render(asyncapi: dict[str, Any]) -> str:
    return json.dumps(asyncapi, indent=2, ensure_ascii=False) + "\n"


def _one_channel_per_topic(asyncapi: dict[str, Any]) -> dict[str, Any]:
    """Key channels by topic, keep the publisher's (it has the schemas) and point every operation at it."""
    channels: dict[str, Any] = asyncapi["channels"]
    operations: dict[str, Any] = asyncapi["operations"]

    def channel_of(operation: dict[str, Any]) -> dict[str, Any]:
        target: dict[str, Any] = channels[unquote(operation["channel"]["$ref"].removeprefix("#/channels/"))]
        return target

    sent = (channel_of(operation) for operation in operations.values() if operation["action"] == "send")
    published = {channel["address"]: channel for channel in sent}
    for operation in operations.values():
        endpoint = channel_of(operation)
        topic = endpoint["address"]
        if topic not in published:
            raise ValueError(f"{topic} is consumed, but no service declares what is published on it")
        if operation["action"] == "receive" and "description" in endpoint:
            operation["description"] = endpoint["description"]
        operation["channel"] = ref("channels", topic)
        operation["messages"] = [
            ref("channels", topic, "messages", name) for name in published[topic]["messages"]
        ]
    asyncapi["channels"] = dict(sorted(published.items()))

    # The consumers' own messages (empty payloads) are no longer referenced; neither may their schemas be.
    components: dict[str, dict[str, Any]] = asyncapi["components"]
    for section in ("messages", "schemas"):
        text = json.dumps(asyncapi)
        components[section] = {
            name: value
            for name, value in components[section].items()
            if json.dumps(ref("components", section, name)["$ref"]) in text
        }
    return asyncapi


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.asyncapi", description="Write the subsystem's AsyncAPI 3.0.0 document."
    )
    parser.add_argument("--province", default="gd", choices=[*sorted(PROVINCES), HUB], metavar="CODE")
    parser.add_argument(
        "--kafka-bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA),
        help="the Kafka address the document names (default: $KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092)",
    )
    parser.add_argument("--out", type=Path, help="write the document here instead of to standard output")
    args = parser.parse_args(argv)
    text = render(document(args.province, kafka_bootstrap_servers=args.kafka_bootstrap_servers))
    write_document(text, args.out)


if __name__ == "__main__":
    main()
