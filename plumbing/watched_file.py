"""A file a service reads again when it changes, so operators' tables and keys take effect without a
restart: looked at once per `check_every` seconds at most, and an edit that will not read (half-written,
or refused by `read`) keeps the last good content, and is reported once."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
MISSING = (-1, -1)  # the stamp of a file that is not there


class WatchedFile(Generic[T]):
    def __init__(
        self,
        path: Path,
        read: Callable[[Path], T],
        *,
        check_every: float = 1.0,
        refused: Callable[[Path, str], None] | None = None,
    ) -> None:
        """`read`: the content, or ValueError (or OSError) saying what is wrong; raised here at start.
        `refused`: told of each edit that did not read, with the reason."""
        self._path = path
        self._read = read
        self._check_every = check_every
        self._refused = refused
        self._checked_at = time.monotonic()
        try:
            stamp = self._stat()  # before reading: an edit made meanwhile is read at the next look
        except OSError:
            stamp = MISSING  # `read` says what is wrong
        self._current = read(path)
        self._stamp = stamp
        self._refused_stamp: tuple[int, int] | None = None

    def _stat(self) -> tuple[int, int]:
        stat = self._path.stat()
        return stat.st_mtime_ns, stat.st_size

    @property
    def current(self) -> T:
        now = time.monotonic()
        if now - self._checked_at < self._check_every:
            return self._current
        self._checked_at = now
        try:
            stamp = self._stat()
        except OSError as error:
            self._refuse(MISSING, str(error))  # moved away for an edit, or gone: keep the last good
            return self._current
        if stamp in (self._stamp, self._refused_stamp):
            return self._current
        try:
            content = self._read(self._path)
        except (OSError, ValueError) as error:
            self._refuse(stamp, str(error))
            return self._current
        self._current, self._stamp = content, stamp
        return self._current

    def _refuse(self, stamp: tuple[int, int], reason: str) -> None:
        if self._refused is not None and stamp != self._refused_stamp:
            self._refused(self._path, reason)
        self._refused_stamp = stamp
