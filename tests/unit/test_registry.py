import subprocess
import sys
from pathlib import Path

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


def test_every_service_reads_or_writes_its_subsystems_topics_and_dead_letters_there():
    for entry in SERVICES:
        runtime = entry.build(UNIT_SETTINGS).runtime
        assert "gd.deadletter" in runtime.topics_written(), entry.name
        assert all(topic.startswith("gd.") for topic in runtime.topics_read() | runtime.topics_written())


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
