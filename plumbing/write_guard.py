"""Every update of a stored document adds 1 to its `_rev`, so that writers racing on one document stay
correct on a store whose updates read and then write.

MongoDB applies each update atomically, and the `$inc` costs it nothing. FerretDB 1.x (the local stack)
reads the document, applies the update itself and writes the result back unconditioned: two writers
conditioned on the same version would both win. The stack's PostgreSQL refuses a write that does not land
exactly one revision past the stored one (deploy/local/postgres/write_guard.sql); the writer sees
`StaleWrite` and, like the loser of an optimistic race, reads again.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.errors import BulkWriteError, OperationFailure

REVISION = "_rev"
_REFUSAL = "hotline stale write"
# Between tries of a refused write: random, so that writers refused together do not race again in step.
STALE_PAUSE = 0.005  # seconds, times the try
T = TypeVar("T")


class StaleWrite(Exception):
    """The document changed between the store's read and its write: nothing was written."""


def guarded(update: dict[str, Any]) -> dict[str, Any]:
    """The update, adding 1 to the document's revision."""
    return update | {"$inc": update.get("$inc", {}) | {REVISION: 1}}


def is_stale_write(error: BaseException) -> bool:
    if isinstance(error, BulkWriteError):
        errors = error.details.get("writeErrors", [])
        return bool(errors) and all(_REFUSAL in str(e.get("errmsg", "")) for e in errors)
    return isinstance(error, OperationFailure) and _REFUSAL in str(error)


async def refusing_stale(write: Awaitable[T]) -> T:
    """The write's result, or `StaleWrite` if the store refused it as computed from an older revision."""
    try:
        return await write
    except (OperationFailure, BulkWriteError) as error:
        if is_stale_write(error):
            raise StaleWrite(str(error)) from None
        raise


async def retrying_stale(attempt: Callable[[], Awaitable[T]], attempts: int = 10) -> T:
    """`attempt()` (a write that is safe to repeat), again while the store refuses it as stale, after a
    short random pause that grows with each try."""
    for tried in range(1, attempts):
        try:
            return await refusing_stale(attempt())
        except StaleWrite:
            await asyncio.sleep(random.uniform(0, STALE_PAUSE * tried))
    return await refusing_stale(attempt())
