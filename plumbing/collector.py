"""The garbage collector in a served process."""

import asyncio
import gc


def freeze_what_start_built(starting: "asyncio.Task[None]") -> None:
    """What a served process built to start (modules, the app, rule tables) stays for its life: moved
    out of the collector's view, its full collections stay short, and so do the pauses they make in
    answering (tens of milliseconds, measured on the voice routing decisions). Garbage left by start
    (a failed first try's) is collected first, or it would be frozen for good. Not in tests, which
    start and stop many runtimes in one process."""
    if not starting.cancelled() and starting.exception() is None:
        gc.collect()
        gc.freeze()
