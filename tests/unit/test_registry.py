import subprocess
import sys
from pathlib import Path

from contracts.bus_access import SERVICES as SERVICE_NAMES
from contracts.bus_access import Grant, grants_for
from contracts.topics import Topics
from services.registry import SERVICES, procfile
from tests.fakes import UNIT_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_the_procfile_runs_every_registered_service():
    assert (ROOT / "deploy" / "local" / "Procfile").read_text() == procfile(), (
        "regenerate it: python -m services --procfile > deploy/local/Procfile"
    )


def test_every_service_package_is_registered():
    packages = {path.parent.name for path in (ROOT / "services").glob("*/bootstrap.py")}
    assert packages == {entry.name for entry in SERVICES}


def test_each_service_has_a_port_of_its_own():
    ports = [entry.http_port for entry in SERVICES]
    assert len(set(ports)) == len(ports)


def allowed(grants: list[Grant], resource: str, name: str, operation: str) -> bool:
    def matches(grant: Grant) -> bool:
        named = grant.name == name if grant.pattern == "literal" else name.startswith(grant.name)
        return (grant.resource, grant.operation) == (resource, operation) and named

    return any(matches(g) for g in grants if g.permission == "allow") and not any(
        matches(g) for g in grants if g.permission == "deny"
    )


def test_each_services_kafka_user_may_touch_exactly_the_topics_the_service_uses():
    topics = Topics("gd")
    for entry in SERVICES:
        runtime = entry.build(UNIT_SETTINGS).runtime
        grants = grants_for(entry.name, topics)
        read, written = runtime.topics_read(), runtime.topics_written()
        assert all(allowed(grants, "topic", topic, "Read") for topic in read), entry.name
        assert all(allowed(grants, "topic", topic, "Write") for topic in written), entry.name
        assert all(allowed(grants, "topic", t, "Create") for t in read | written), entry.name
        assert (topics.deadletter in written) == bool(read), f"{entry.name} dead-letters what it reads"
        literal = {g.name for g in grants if g.resource == "topic" and g.pattern == "literal"}
        assert literal - read - written <= {topics.department_replies}, f"{entry.name} is given more"
        groups = runtime.consumer_groups()
        assert groups == {g.name for g in grants if g.resource == "group"}, entry.name
        assert all(allowed(grants, "group", group, "Read") for group in groups), entry.name


def test_no_service_but_its_producer_may_write_a_topic_and_dispatch_may_not_forge_replies():
    topics = Topics("gd")
    for name in ["contacts", "workorders", "dispatch.replies", "dispatch.progress", "notifications"]:
        topic = f"gd.{name}"
        writers = [s for s in SERVICE_NAMES if allowed(grants_for(s, topics), "topic", topic, "Write")]
        assert writers == [topics.producer_of(topic)], topic
    assert allowed(grants_for("dispatch", topics), "topic", topics.department("repair"), "Write")


def test_the_entrypoint_names_the_services_it_can_run():
    result = subprocess.run(
        [sys.executable, "-m", "services", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert all(entry.name in result.stdout for entry in SERVICES)


def test_a_service_process_loads_its_own_code_and_not_the_other_services():
    probe = (
        "import sys; from services.registry import BY_NAME; BY_NAME['gateway'].bootstrap; "
        "print(sorted(m for m in sys.modules if m.startswith('services.') and m.endswith('.bootstrap')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "['services.gateway.bootstrap']"


def test_the_services_with_kafka_users_are_the_registered_ones():
    assert set(SERVICE_NAMES) == {entry.name for entry in SERVICES}


def test_the_local_store_has_a_role_for_every_service():
    roles_sql = (ROOT / "deploy" / "local" / "postgres" / "store_users.sql").read_text()
    for service in SERVICE_NAMES:
        assert f"'{service}'" in roles_sql, service
        assert f"ALTER ROLE {service} LOGIN" in roles_sql, service
