"""The load generator's own garbage collector, kept out of what it times.

The bench process holds what earlier benches built; a full collection of it took 80-160 ms here, once
every 25 s or so of load, and while it ran no request was sent and no answer read. The server sat idle in
epoll meanwhile (seen in a sampling profile of the gateway), yet every request in flight was timed as if
the server had been slow: a p99 of 30-90 ms at 1,000 decisions/s that was the client's, not the gateway's.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """What the process holds moved out of the collector's view and collection off, for one timed run
    (seconds of load; the garbage it leaves is collected after)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()
