"""Credentials at the gateway: the principals table, and OAuth2 tokens issued, used, expired, tampered
with and rotated."""

import base64
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest

from deploy.local.credentials import SIGNING_KEYS, ensure_local_credentials, local_secrets
from services.gateway import key_set
from services.gateway.principals import PrincipalTable
from services.gateway.tokens import InvalidToken, TokenService
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

REPLY = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "final", "message": "已修复"}
DEPARTMENT = "gd.department.repair"
ISSUER = "/hotline/province/gd/gateway"


def gateway(publisher: RecordingPublisher, province: str = "gd", **overrides: object) -> httpx.AsyncClient:
    app = app_with(publisher, hotline_province=province, **overrides)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token_for(client: httpx.AsyncClient, principal_id: str) -> str:
    secret = local_secrets()[principal_id]["client_secret"]
    answer = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(principal_id, secret)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_a_department_trades_its_client_secret_for_a_short_lived_token_and_replies_with_it():
    publisher = RecordingPublisher()
    async with gateway(publisher) as client:
        secret = local_secrets()[DEPARTMENT]["client_secret"]
        answer = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(DEPARTMENT, secret)
        )
        token = answer.json()["access_token"]
        reply = await client.post(
            "/v1/departments/repair/replies", json=REPLY, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.headers["cache-control"] == "no-store"
    assert {k: v for k, v in answer.json().items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 600,
        "scope": "dispatches:read replies:write",
    }
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["province"], claims["exp"] - claims["iat"]) == (DEPARTMENT, "gd", 600)
    assert reply.status_code == 202
    assert len(publisher.published) == 1


async def test_a_client_id_and_secret_in_the_form_body_are_taken_too():
    async with gateway(RecordingPublisher()) as client:
        secret = local_secrets()[DEPARTMENT]["client_secret"]
        answer = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": DEPARTMENT, "client_secret": secret},
        )
    assert answer.status_code == 200


async def test_a_wrong_secret_is_401_invalid_client_and_guessing_is_stopped_with_429():
    async with gateway(RecordingPublisher(), gateway_token_failures_rate="3/minute") as client:
        answers = [
            await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers=basic("gd.department.billing", f"guess-{n}"),
            )
            for n in range(4)
        ]
    first = answers[0]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert first.headers["content-type"] == "application/problem+json"
    assert first.headers["www-authenticate"] == 'Basic realm="hotline"'
    assert (first.json()["error"], first.json()["detail"]) == (
        "invalid_client",
        "unknown client or wrong secret",
    )


async def test_another_grant_or_a_scope_the_client_does_not_hold_is_400_with_the_oauth_error():
    async with gateway(RecordingPublisher()) as client:
        secret = local_secrets()[DEPARTMENT]["client_secret"]
        password = await client.post(
            "/oauth/token", data={"grant_type": "password"}, headers=basic(DEPARTMENT, secret)
        )
        scope = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "replies:write contacts:write"},
            headers=basic(DEPARTMENT, secret),
        )
    assert (password.status_code, password.json()["error"]) == (400, "unsupported_grant_type")
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    assert scope.json()["detail"] == "not granted to this client: contacts:write"


def signed(claims: dict[str, object], path: Path = SIGNING_KEYS) -> str:
    keys = key_set.KeySetFile(path).keys
    return jwt.encode(
        claims, keys.private[keys.signing_kid], algorithm="ES256", headers={"kid": keys.signing_kid}
    )


def claims_for(principal_id: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": ISSUER,
        "aud": ISSUER,
        "sub": principal_id,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "t-1",
        "scope": "replies:write",
        "province": "gd",
        "role": "department",
    }
    return base | changes


@pytest.mark.parametrize(
    ("principal", "changes", "detail"),
    [
        (DEPARTMENT, {"iat": 1, "nbf": 1, "exp": 60}, "the token has expired: get a new one"),
        (DEPARTMENT, {"aud": "/hotline/province/bj/gateway"}, "the token is not valid here"),
        ("gd.department.closed", {}, "the token's principal is no longer known"),
    ],
    ids=["expired", "another province's gateway", "a principal since removed"],
)
async def test_a_token_expired_for_elsewhere_or_of_a_removed_principal_is_401(
    principal: str, changes: dict[str, object], detail: str
):
    # Signed now, not when the module is collected: a suite that runs long would see it expired.
    token = signed(claims_for(principal, **changes))
    publisher = RecordingPublisher()
    async with gateway(publisher) as client:
        reply = await client.post(
            "/v1/departments/repair/replies", json=REPLY, headers={"Authorization": f"Bearer {token}"}
        )
    assert reply.status_code == 401
    assert reply.json()["detail"].startswith(detail)
    assert publisher.published == []


async def test_a_tampered_token_is_401_and_nothing_is_published():
    publisher = RecordingPublisher()
    async with gateway(publisher) as client:
        header, payload, signature = (await token_for(client, "gd.department.billing")).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = DEPARTMENT  # billing's token made out to repair
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        reply = await client.post(
            "/v1/departments/repair/replies",
            json=REPLY,
            headers={"Authorization": f"Bearer {header}.{forged}.{signature}"},
        )
    assert reply.status_code == 401
    assert "Signature verification failed" in reply.json()["detail"]
    assert publisher.published == []


async def test_a_token_of_another_province_is_refused_by_this_provinces_gateway():
    async with gateway(RecordingPublisher(), province="bj") as beijing:
        token = await token_for(beijing, "bj.department.repair")
    async with gateway(RecordingPublisher()) as guangdong:
        reply = await guangdong.post(
            "/v1/departments/repair/replies", json=REPLY, headers={"Authorization": f"Bearer {token}"}
        )
    assert reply.status_code == 401


def test_keys_rotate_without_a_restart_tokens_of_a_retired_key_are_refused(tmp_path: Path):
    path = tmp_path / "keys.json"
    first = key_set.new_key()
    key_set.write(path, {"keys": [first], "signing_kid": first["kid"]})
    table = PrincipalTable.load(ensure_local_credentials())
    principal = table.by_id(DEPARTMENT)
    assert principal is not None
    tokens = TokenService(key_set.KeySetFile(path, check_every=0), table, issuer=ISSUER, lifetime_seconds=300)
    old = tokens.issue(principal, principal.granted).access_token

    second = key_set.new_key()
    key_set.write(path, {"keys": [first, second], "signing_kid": second["kid"]})
    new = tokens.issue(principal, principal.granted).access_token
    assert [k["kid"] for k in tokens.jwks["keys"]] == [first["kid"], second["kid"]]  # type: ignore[index]
    assert tokens.verify(old).principal.id == tokens.verify(new).principal.id == DEPARTMENT

    key_set.write(path, {"keys": [second], "signing_kid": second["kid"]})
    with pytest.raises(InvalidToken, match="rotated out"):
        tokens.verify(old)
    assert tokens.verify(new).principal.id == DEPARTMENT
    assert all("d" not in k for k in tokens.jwks["keys"]), "only public parts are published"  # type: ignore[attr-defined]


async def test_the_public_key_set_is_served_to_anyone_without_private_parts():
    async with gateway(RecordingPublisher()) as client:
        answer = await client.get("/.well-known/jwks.json")
    [key] = answer.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"}


def test_a_key_set_with_problems_is_refused_with_each_listed():
    keys = [key_set.new_key(), {"kid": "a", "kty": "EC"}, {"x": 1}]
    with pytest.raises(ValueError, match=r"^keys\.json: ") as refused:
        key_set.parse({"keys": keys, "signing_kid": "b"}, "keys.json")
    message = str(refused.value)
    assert "key a: not an ES256 private key" in message
    assert "key 2: needs a kid of its own" in message
    assert "signing_kid 'b' is not one of the keys" in message


async def test_over_its_wrong_secret_rate_even_the_right_secret_is_429():
    async with gateway(RecordingPublisher(), gateway_token_failures_rate="2/minute") as client:
        for n in range(2):
            await client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(DEPARTMENT, f"x{n}")
            )
        secret = local_secrets()[DEPARTMENT]["client_secret"]
        right = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(DEPARTMENT, secret)
        )
    assert right.status_code == 429


async def test_tokens_issued_and_wrong_secrets_of_a_known_client_are_audited():
    publisher = RecordingPublisher()
    async with gateway(publisher) as client:
        await token_for(client, DEPARTMENT)
        await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(DEPARTMENT, "guess")
        )
        await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic("nobody", "guess")
        )
    assert [(e.principal_id, e.action, e.status) for e in publisher.audited] == [
        (DEPARTMENT, "token.issue", 200),
        (DEPARTMENT, "token.issue", 401),
    ]
    assert publisher.audited[0].resource, "the token's jti"


def test_a_principals_table_with_problems_is_refused_with_each_listed(tmp_path):
    path = tmp_path / "principals.json"
    path.write_text(
        '{"principals": ['
        '{"id": "a", "role": "department", "province": "gd", "key_sha256": "00"},'
        '{"id": "b", "role": "department", "province": "zz", "key_sha256": "' + "0" * 64 + '"}]}'
    )
    with pytest.raises(ValueError, match=r"principals\.json") as refused:
        PrincipalTable.load(path)
    assert "principal 0: key_sha256: String should match pattern" in str(refused.value)
    assert "principal 1: entry: Value error, unknown province 'zz'" in str(refused.value)
