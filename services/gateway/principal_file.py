"""The principals' table as a file the gateway reads again when it changes: a key revoked, a secret
rotated or a principal added takes effect within a second, on every replica, without a restart. A
principal's access tokens end with it, since every token is checked against the table."""

import time
from pathlib import Path

from services.gateway.principals import Principal, PrincipalTable


class PrincipalFile(PrincipalTable):
    def __init__(self, path: Path, *, check_every: float = 1.0) -> None:
        """ValueError, listing every problem, if the file will not do at start."""
        self._path = path
        self._check_every = check_every
        self._checked_at = time.monotonic()
        self._stamp = self._stat()
        self._table = PrincipalTable.load(path)
        super().__init__([], local=self._table.local)

    def _stat(self) -> tuple[int, int]:
        stat = self._path.stat()
        return stat.st_mtime_ns, stat.st_size

    def _current(self) -> PrincipalTable:
        now = time.monotonic()
        if now - self._checked_at < self._check_every:
            return self._table
        self._checked_at = now
        try:
            stamp = self._stat()
            if stamp != self._stamp:
                table = PrincipalTable.load(self._path)
                # A table made for local development never replaces another kind, nor the reverse.
                if table.local == self.local:
                    self._table, self._stamp = table, stamp
        except (OSError, ValueError):
            pass  # a half-written or broken edit: keep serving the last good table
        return self._table

    def by_api_key(self, key: str) -> Principal | None:
        return self._current().by_api_key(key)

    def by_id(self, principal_id: str) -> Principal | None:
        return self._current().by_id(principal_id)

    def by_client_secret(self, client_id: str, secret: str) -> Principal | None:
        return self._current().by_client_secret(client_id, secret)
