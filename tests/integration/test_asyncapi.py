"""The generated AsyncAPI document, checked by the AsyncAPI Initiative's own parser (tools/asyncapi-validate).

Needs Node and `make setup` (npm ci in tools/asyncapi-validate), not the local stack.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from services import asyncapi

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tools" / "asyncapi-validate"
KEY_TOPICS = [
    "gd.contacts",
    "gd.workorders",
    "gd.dispatch.repair",
    "gd.dispatch.replies",
    "gd.dispatch.progress",
    "gd.notifications",
    "gd.followups",
]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node 20+, then run `make setup`")
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(
            "the AsyncAPI validator is not installed: run `make setup` "
            "(npm ci --prefix tools/asyncapi-validate)"
        )
    return subprocess.run(
        [node, str(VALIDATOR / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local references ("#/components/...") to what they name."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[unquote(part).replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.document("gd")


@pytest.mark.filterwarnings("error::RuntimeWarning")  # FastStream warns when one endpoint overwrites another
def test_the_generated_asyncapi_document_passes_an_independent_validator(tmp_path):
    path = tmp_path / "asyncapi.yaml"
    path.write_text(asyncapi.render(asyncapi.document("gd")), encoding="utf-8")

    result = validate(path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_document_names_a_channel_for_each_topic_the_services_use(document):
    addresses = {channel["address"] for channel in document["channels"].values()}

    assert set(KEY_TOPICS) <= addresses
    assert set(KEY_TOPICS) <= set(document["channels"])


def test_the_work_orders_channel_carries_every_schema_intake_announces_work_orders_with(document):
    channel = document["channels"]["gd.workorders"]
    (message,) = (resolve(document, m) for m in channel["messages"].values())
    schemas = {
        schema["title"]: schema
        for schema in (resolve(document, p) for p in resolve(document, message["payload"])["anyOf"])
    }
    created, requested = schemas["WorkOrderCreatedV1"], schemas["WorkOrderInfoRequestedV1"]

    assert set(schemas) == {
        "WorkOrderCreatedV1",
        "WorkOrderInfoRequestedV1",
        "WorkOrderAnsweredV1",
        "WorkOrderOwnerChangedV1",
        "WorkOrderReclassifiedV1",
        "IncidentOpenedV1",
        "IncidentUpdatedV1",
        "ContactLinkedV1",
    }
    assert {"work_order_id", "contact_id", "customer", "description", "owner"} <= set(created["properties"])
    assert "incident_id" in created["properties"]
    assert "work_order_id" in created["required"]
    assert "missing" in requested["required"]
    assert "reporters" in schemas["IncidentUpdatedV1"]["required"]


def test_every_operation_of_a_topic_refers_to_its_one_channel(document):
    actions = {
        (operation["action"], operation["channel"]["$ref"]) for operation in document["operations"].values()
    }

    assert ("send", "#/channels/gd.workorders") in actions
    assert ("receive", "#/channels/gd.workorders") in actions
    assert ("receive", "#/channels/gd.dispatch.progress") in actions
    assert "EmptyPayload" not in document["components"]["schemas"]


def break_version(document: dict[str, Any]) -> None:
    del document["asyncapi"]


def break_channel_ref(document: dict[str, Any]) -> None:
    operation = next(op for op in document["operations"].values() if op["action"] == "receive")
    operation["channel"] = {"$ref": "#/channels/gd.nowhere"}


@pytest.mark.parametrize(
    ("breakage", "diagnostic"),
    [(break_version, "asyncapi-is-asyncapi"), (break_channel_ref, "#/channels/gd.nowhere")],
    ids=["without-asyncapi-version", "operation-on-a-missing-channel"],
)
def test_the_validator_rejects_a_broken_document(tmp_path, document, breakage, diagnostic):
    broken = json.loads(json.dumps(document))
    breakage(broken)
    path = tmp_path / "broken.yaml"
    path.write_text(json.dumps(broken, indent=2), encoding="utf-8")

    result = validate(path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert diagnostic in result.stderr
