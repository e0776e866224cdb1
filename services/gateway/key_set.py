"""The gateway's signing keys: a JWKS-style set, kept in a file (a Secret in a cluster).

Rotation without downtime, in three edits of the file, each taken up without a restart:
1. add a new key: it is published at /.well-known/jwks.json and verifies at once, signs nothing yet;
2. name it `signing_kid`: new tokens carry it, tokens signed by the old key still verify;
3. after the longest token lifetime, remove the old key: its tokens are then refused.
`python -m services.gateway.key_set` makes and edits such a file.
"""

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric import ec
from jwt import PyJWK, PyJWTError
from jwt.algorithms import ECAlgorithm
from jwt.exceptions import PyJWKError

from plumbing.watched_file import WatchedFile

ALGORITHM = "ES256"
PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "kid", "alg", "use")


@dataclass(frozen=True)
class Keys:
    signing_kid: str
    private: dict[str, PyJWK]  # kid -> key
    public: dict[str, Any]  # the JWKS document: {"keys": [...]} without the private parts
    local: bool  # made by the local stack for development; refused elsewhere


class KeySource(Protocol):
    @property
    def keys(self) -> Keys: ...


def new_key() -> dict[str, Any]:
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()), as_dict=True)
    return jwk | {"kid": uuid4().hex[:16], "alg": ALGORITHM, "use": "sig"}


def parse(document: dict[str, Any], origin: str) -> Keys:
    """The key set in `document`, or ValueError listing what is wrong with it."""
    problems: list[str] = []
    private: dict[str, PyJWK] = {}
    for index, jwk in enumerate(document.get("keys") or []):
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not kid or kid in private:
            problems.append(f"key {index}: needs a kid of its own")
            continue
        try:
            key = PyJWK(jwk, ALGORITHM)
        except (PyJWKError, PyJWTError, ValueError, TypeError) as error:
            problems.append(f"key {kid}: not an {ALGORITHM} private key: {error}")
            continue
        if "d" not in jwk:
            problems.append(f"key {kid}: the private part (d) is missing")
        private[kid] = key
    signing_kid = document.get("signing_kid")
    if not private:
        problems.append("no keys")
    elif signing_kid not in private:
        problems.append(f"signing_kid {signing_kid!r} is not one of the keys")
    if problems:
        raise ValueError(f"{origin}: " + "; ".join(problems))
    public = {"keys": [{m: jwk[m] for m in PUBLIC_MEMBERS if m in jwk} for jwk in document["keys"]]}
    return Keys(str(signing_kid), private, public, bool(document.get("local", False)))


def read_key_set(path: Path) -> Keys:
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a key set: {error}") from error
    return parse(document, str(path))


class KeySetFile:
    """The key set in a file, read again when the file changes (looked at once a second at most); a
    half-written or broken edit keeps the last good set."""

    def __init__(self, path: Path, *, check_every: float = 1.0) -> None:
        self._file = WatchedFile(path, read_key_set, check_every=check_every)

    @property
    def keys(self) -> Keys:
        return self._file.current


def write(path: Path, document: dict[str, Any]) -> None:
    """Whole or not at all, readable by its owner only."""
    parse(document, str(path))
    temporary = path.with_name(path.name + ".writing")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=1)
    os.replace(temporary, path)


def ensure_local(path: Path) -> None:
    """The local stack's key set, made on first start (marked local: refused outside development)."""
    key = new_key()
    create_once(
        path, lambda temporary: write(temporary, {"keys": [key], "signing_kid": key["kid"], "local": True})
    )


def create_once(path: Path, write_to: Callable[[Path], None]) -> None:
    """`path`, unless it is there, written whole by `write_to` (given a file of its own to write):
    two gateways starting at once each write theirs, and the first one linked in place is everyone's."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{uuid4().hex}.tmp")
    write_to(temporary)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _main(argv: list[str]) -> int:
    usage = "usage: python -m services.gateway.key_set new|add FILE, or sign-with|retire FILE KID"
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 2
    command, path = argv[0], Path(argv[1])
    if command == "new":
        key = new_key()
        write(path, {"keys": [key], "signing_kid": key["kid"]})
        print(key["kid"])
        return 0
    document = json.loads(path.read_text())
    if command == "add":
        key = new_key()
        document["keys"].append(key)
        print(key["kid"])
    elif command == "sign-with" and len(argv) == 3:
        document["signing_kid"] = argv[2]
    elif command == "retire" and len(argv) == 3:
        if argv[2] == document.get("signing_kid"):
            print("refused: that key still signs; sign with another first", file=sys.stderr)
            return 1
        document["keys"] = [jwk for jwk in document["keys"] if jwk.get("kid") != argv[2]]
    else:
        print(usage, file=sys.stderr)
        return 2
    write(path, document)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
