"""Outside local development the services refuse the stack's made-up secrets and sample placeholders."""

import json

import pytest
from cryptography.fernet import Fernet

from deploy.local.credentials import PASSWORD_KEYS, SEAL_KEYS, SIGNING_KEYS, ensure_local_credentials
from plumbing.settings import ServiceSettings, SettingsError, load
from services.gateway import key_set, seal
from services.gateway.access import load_access
from services.gateway.password_keys import load_password_keys, new_password_key
from services.gateway.settings import GatewaySettings
from services.notify.settings import NotifySettings


@pytest.fixture(autouse=True)
def production(monkeypatch):
    """Whatever the shell running the tests has exported, these tests run outside local development."""
    for name in (
        "HOTLINE_ENVIRONMENT",
        "GATEWAY_SIGNING_KEYS_PATH",
        "GATEWAY_PRINCIPALS_PATH",
        "GATEWAY_SEAL_KEYS_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("MONGODB_URI", "mongodb://notify:Wq4nT8zLr2Xv6B@store:27017/")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "notify")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "Zr8wq3Tn5Vb1Lk")


NOTIFY = {
    "KANNEL_SENDSMS_URL": "http://kannel:13013/cgi-bin/sendsms",
    "KANNEL_USERNAME": "hotline",
}


@pytest.mark.parametrize(
    ("password", "problem"),
    [("changeme", "KANNEL_PASSWORD is a placeholder"), ("s3cret", "KANNEL_PASSWORD is shorter than 12")],
)
def test_a_placeholder_or_short_sms_gateway_password_stops_notify_in_production(
    monkeypatch, password, problem
):
    for name, value in NOTIFY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KANNEL_PASSWORD", password)
    with pytest.raises(SettingsError, match=problem):
        load(NotifySettings)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "local")
    assert load(NotifySettings).kannel_password.get_secret_value() == password


def test_a_store_password_that_is_a_placeholder_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://intake:password@store:27017/")
    with pytest.raises(SettingsError, match="MONGODB_URI_password is a placeholder"):
        load(ServiceSettings)
    monkeypatch.setenv("MONGODB_URI", "mongodb://intake:Kq7v2Lw9Rb4TzX@store:27017/")
    assert load(ServiceSettings).mongodb_uri.startswith("mongodb://intake:")


def test_the_gateway_needs_a_signing_key_file_in_production():
    with pytest.raises(SettingsError, match="GATEWAY_SIGNING_KEYS_PATH is required outside local"):
        load(GatewaySettings)


def test_the_gateway_needs_a_seal_key_file_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_SIGNING_KEYS_PATH", str(tmp_path / "keys.json"))
    with pytest.raises(SettingsError, match="GATEWAY_SEAL_KEYS_PATH is required outside local"):
        load(GatewaySettings)


def test_the_gateway_needs_a_service_password_key_file_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_SIGNING_KEYS_PATH", str(tmp_path / "keys.json"))
    monkeypatch.setenv("GATEWAY_SEAL_KEYS_PATH", str(tmp_path / "seal_keys.json"))
    with pytest.raises(SettingsError, match="GATEWAY_PASSWORD_KEYS_PATH is required outside local"):
        load(GatewaySettings)


def test_the_local_stacks_principals_and_keys_are_refused_in_production(tmp_path):
    production_keys = tmp_path / "keys.json"
    key = key_set.new_key()
    key_set.write(production_keys, {"keys": [key], "signing_kid": key["kid"]})
    production_seal = tmp_path / "seal.json"
    production_seal.write_text(json.dumps({"keys": [Fernet.generate_key().decode()]}))
    production_passwords = tmp_path / "password_keys.json"
    production_passwords.write_text(json.dumps({"keys": [new_password_key()]}))
    local_principals = GatewaySettings(
        gateway_principals_path=ensure_local_credentials(),
        gateway_signing_keys_path=production_keys,
        gateway_seal_keys_path=production_seal,
        gateway_password_keys_path=production_passwords,
    )
    with pytest.raises(ValueError, match="principals made for local development are refused here"):
        load_access(local_principals, issuer="/hotline/province/gd/gateway")
    key_set.ensure_local(SIGNING_KEYS)
    local_keys = GatewaySettings(
        gateway_signing_keys_path=SIGNING_KEYS,
        gateway_seal_keys_path=production_seal,
        gateway_password_keys_path=production_passwords,
    )
    with pytest.raises(ValueError, match="a key set made for local development is refused here"):
        load_access(local_keys, issuer="/hotline/province/gd/gateway")
    seal.ensure_local(SEAL_KEYS)
    local_seal = GatewaySettings(
        gateway_signing_keys_path=production_keys,
        gateway_seal_keys_path=SEAL_KEYS,
        gateway_password_keys_path=production_passwords,
    )
    with pytest.raises(ValueError, match="a seal key made for local development is refused here"):
        load_access(local_seal, issuer="/hotline/province/gd/gateway")
    local_passwords = GatewaySettings(
        gateway_signing_keys_path=production_keys,
        gateway_seal_keys_path=production_seal,
        gateway_password_keys_path=PASSWORD_KEYS,
    )
    load_password_keys(PASSWORD_KEYS, local=True)
    with pytest.raises(ValueError, match="a service-password key made for local development is refused"):
        load_access(local_passwords, issuer="/hotline/province/gd/gateway")


def test_a_service_without_its_own_kafka_user_or_with_a_placeholder_password_stops_in_production(
    monkeypatch,
):
    monkeypatch.setenv("MONGODB_URI", "mongodb://store:27017/")
    monkeypatch.delenv("KAFKA_SASL_USERNAME")
    with pytest.raises(SettingsError, match="KAFKA_SASL_USERNAME is required outside local"):
        load(ServiceSettings)
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "intake")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "changeme")
    with pytest.raises(SettingsError, match="KAFKA_SASL_PASSWORD is a placeholder"):
        load(ServiceSettings)


def test_a_store_address_without_a_user_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://store:27017/")
    with pytest.raises(SettingsError, match="MONGODB_URI has no login outside local development"):
        load(ServiceSettings)
    monkeypatch.setenv("MONGODB_URI", "mongodb://intake@store:27017/")
    with pytest.raises(SettingsError, match="MONGODB_URI has no login outside local development"):
        load(ServiceSettings)
    monkeypatch.setenv("MONGODB_URI", "mongodb://store:27017/?authMechanism=MONGODB-X509&tls=true")
    assert load(ServiceSettings).mongodb_uri.endswith("tls=true")
