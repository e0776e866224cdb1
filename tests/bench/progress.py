"""Progress of a bench run, on stderr, so stdout carries only the summary lines."""

import sys
import time


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
