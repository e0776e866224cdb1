"""Everything the gateway checks a caller against, the seal it keeps reporters under and the keys it
hashes service passwords with, built once at start from settings."""

from dataclasses import dataclass
from pathlib import Path

from services.gateway.key_set import Keys, KeySetFile, KeySource, ensure_local, new_key, parse
from services.gateway.limits import RateLimit
from services.gateway.password_keys import PasswordKeys, load_password_keys
from services.gateway.principal_file import PrincipalFile
from services.gateway.principals import PrincipalTable
from services.gateway.seal import Seal, load_seal
from services.gateway.settings import GatewaySettings
from services.gateway.tokens import TokenService


class StaticKeys:
    """A key set held in memory only: a lone gateway in local development without a key file."""

    def __init__(self) -> None:
        key = new_key()
        self.keys: Keys = parse({"keys": [key], "signing_kid": key["kid"]}, "in memory")


@dataclass(frozen=True)
class Access:
    principals: PrincipalTable
    tokens: TokenService
    rate: RateLimit
    token_failures: RateLimit
    seal: Seal
    password_keys: PasswordKeys


def _key_source(path: Path | None, local: bool) -> KeySource:
    if path is None:
        return StaticKeys()  # settings allow this only in local development
    if local:
        ensure_local(path)
    source = KeySetFile(path)
    if source.keys.local and not local:
        raise ValueError(f"{path}: a key set made for local development is refused here")
    return source


def load_access(settings: GatewaySettings, issuer: str) -> Access:
    """ValueError, listing what is wrong, when the principals or the keys will not do."""
    path = settings.gateway_principals_path
    principals = PrincipalFile(path) if path is not None else PrincipalTable([])
    if principals.local and not settings.local:
        raise ValueError(f"{path}: principals made for local development are refused here")
    tokens = TokenService(
        _key_source(settings.gateway_signing_keys_path, settings.local),
        principals,
        issuer=issuer,
        lifetime_seconds=settings.gateway_token_lifetime_seconds,
    )
    return Access(
        principals,
        tokens,
        RateLimit(settings.gateway_rate_limit),
        RateLimit(settings.gateway_token_failures_rate),
        load_seal(settings.gateway_seal_keys_path, settings.local),
        load_password_keys(settings.gateway_password_keys_path, settings.local),
    )
