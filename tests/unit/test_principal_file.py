"""The principals' file is read again when it changes: a principal removed is refused from then on (its
API key and its access tokens), one added is taken, and a broken edit or a table of the wrong kind
changes nothing."""

import json
import os
from pathlib import Path

import pytest

from deploy.local.credentials import SIGNING_KEYS, ensure_local_credentials, local_secrets
from services.gateway import key_set
from services.gateway.principal_file import PrincipalFile
from services.gateway.tokens import InvalidToken, TokenService

REPAIR, BILLING = "gd.department.repair", "gd.department.billing"


def entries(*ids: str) -> list[dict[str, object]]:
    document = json.loads(ensure_local_credentials().read_text())
    return [entry for entry in document["principals"] if entry["id"] in ids]


def write(path: Path, principals: list[dict[str, object]], **more: object) -> None:
    path.write_text(json.dumps({"principals": principals} | more))
    # A later edit within the same clock tick still looks changed: its size differs, or this does.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def key_of(principal_id: str) -> str:
    return local_secrets()[principal_id]["api_key"]


def test_a_principal_removed_from_the_file_is_refused_and_its_tokens_with_it(tmp_path):
    path = tmp_path / "principals.json"
    write(path, entries(REPAIR, BILLING))
    table = PrincipalFile(path, check_every=0)
    key_set.ensure_local(SIGNING_KEYS)
    tokens = TokenService(key_set.KeySetFile(SIGNING_KEYS), table, issuer="gw", lifetime_seconds=300)
    repair = table.by_api_key(key_of(REPAIR))
    assert repair is not None
    token = tokens.issue(repair, repair.granted).access_token
    write(path, entries(BILLING))
    assert table.by_api_key(key_of(REPAIR)) is None
    assert table.by_client_secret(REPAIR, local_secrets()[REPAIR]["client_secret"]) is None
    with pytest.raises(InvalidToken):
        tokens.verify(token)
    assert table.by_api_key(key_of(BILLING)) is not None, "the others are kept"


def test_a_principal_added_to_the_file_is_taken_without_a_restart(tmp_path):
    path = tmp_path / "principals.json"
    write(path, entries(BILLING))
    table = PrincipalFile(path, check_every=0)
    assert table.by_id(REPAIR) is None
    write(path, entries(REPAIR, BILLING))
    assert table.by_id(REPAIR) is not None


@pytest.mark.parametrize(
    ("sentence", "edit"),
    [
        ("a half-written file", lambda path: path.write_text('{"principals": [')),
        ("a principal with a problem", lambda path: write(path, [{"id": "x", "role": "department"}])),
        ("a table made for local development", lambda path: write(path, entries(BILLING), local=True)),
    ],
)
def test_an_edit_the_gateway_cannot_take_keeps_the_last_good_table(tmp_path, sentence, edit):
    path = tmp_path / "principals.json"
    write(path, entries(REPAIR))
    table = PrincipalFile(path, check_every=0)
    edit(path)
    assert table.by_api_key(key_of(REPAIR)) is not None, sentence
    assert table.local is False
