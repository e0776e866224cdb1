import re
from pathlib import Path

import pytest

from contracts.topics import Topics
from plumbing.settings import BusSettings, ServiceSettings, SettingsError, load

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_service_without_its_bus_and_store_refuses_to_start_and_names_both(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    with pytest.raises(SettingsError) as stopped:
        load(ServiceSettings)
    assert "KAFKA_BOOTSTRAP_SERVERS: Field required" in str(stopped.value)
    assert "MONGODB_URI: Field required" in str(stopped.value)


def test_an_unknown_province_code_is_refused(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("HOTLINE_PROVINCE", "xx")
    with pytest.raises(SettingsError, match="not a province code"):
        load(BusSettings)


def test_the_hub_tier_runs_under_the_hub_prefix(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("HOTLINE_TIER", "hub")
    monkeypatch.setenv("HOTLINE_PROVINCE", "hub")
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "local")
    settings = load(BusSettings)
    assert settings.topics.contacts == "hub.contacts"
    assert settings.source("gateway") == "/hotline/hub/hub/gateway"


def test_one_cluster_keeps_provinces_apart_by_topic_prefix():
    assert Topics("gd").workorders != Topics("bj").workorders
    assert Topics("gd").department("repair") == "gd.dispatch.repair"


def test_the_readme_topic_map_names_every_topic_the_code_builds():
    documented = set(re.findall(r"`(<p>\.[a-z.<>]+)`", README.read_text()))
    topics = Topics("<p>")
    built = {
        topics.contacts,
        topics.workorders,
        topics.department("<department>"),
        topics.department_replies,
        topics.dispatch_progress,
        topics.notifications,
        topics.followups,
        topics.deadletter,
    }
    assert built <= documented
