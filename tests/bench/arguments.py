"""make bench's options (tests/bench/run.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from contracts.provinces import is_province_code


def arguments(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=description)
    parser.add_argument("--contacts", type=int, default=2000, help="contacts to post (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--province", default="yn", help="province subsystem to run (default yn)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured contacts first (default 50)")
    parser.add_argument(
        "--rate",
        type=float,
        default=80.0,
        help="pace of the second load, contacts/s (default 80; 0 skips it)",
    )
    parser.add_argument(
        "--paced-contacts", type=int, default=1200, help="contacts posted at --rate (default 1200)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds to wait for each phase to finish (default 3600)",
    )
    parser.add_argument(
        "--stored",
        type=int,
        default=1_000_000,
        help="work orders and dispatches stored before the second phase (default 1000000; 0: one phase)",
    )
    parser.add_argument(
        "--sla-open",
        type=int,
        default=1_000_000,
        help="open work orders with live clocks for the SLA timers' bench (default 1000000; 0 skips it)",
    )
    parser.add_argument(
        "--lists-open",
        type=int,
        default=1_000_000,
        help="open case files for the gateway's lists' bench (default 1000000; 0 skips it)",
    )
    parser.add_argument(
        "--lookup-sizes",
        default="1000,100000,1000000",
        help="collection sizes to time lookups at, comma-separated (default 1000,100000,1000000; '' skips)",
    )
    args = parser.parse_args(argv)
    if not is_province_code(args.province):
        parser.error(f"{args.province!r} is not a province code")
    if args.rate < 0 or args.paced_contacts < 0:
        parser.error("--rate and --paced-contacts must be at least 0")
    if args.contacts < 1 or args.concurrency < 1 or args.warmup < 0 or args.timeout <= 0 or args.stored < 0:
        parser.error(
            "--contacts and --concurrency must be at least 1, --warmup at least 0, --timeout positive"
        )
    return args
