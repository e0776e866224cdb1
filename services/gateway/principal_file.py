"""The principals' table as a file the gateway reads again when it changes: a key revoked, a secret
rotated or a principal added takes effect within a second, on every replica, without a restart. A
principal's access tokens end with it, since every token is checked against the table."""

from pathlib import Path

from plumbing.watched_file import WatchedFile
from services.gateway.principals import Principal, PrincipalTable


class PrincipalFile(PrincipalTable):
    def __init__(self, path: Path, *, check_every: float = 1.0) -> None:
        """ValueError, listing every problem, if the file will not do at start."""
        first = PrincipalTable.load(path)
        super().__init__([], local=first.local)
        self._file = WatchedFile(path, self._same_kind, check_every=check_every)

    def _same_kind(self, path: Path) -> PrincipalTable:
        table = PrincipalTable.load(path)
        if table.local != self.local:  # a table made for local development never replaces another kind
            raise ValueError(f"{path}: local is {table.local}, the table it would replace's {self.local}")
        return table

    def by_api_key(self, key: str) -> Principal | None:
        return self._file.current.by_api_key(key)

    def by_id(self, principal_id: str) -> Principal | None:
        return self._file.current.by_id(principal_id)

    def by_client_secret(self, client_id: str, secret: str) -> Principal | None:
        return self._file.current.by_client_secret(client_id, secret)
