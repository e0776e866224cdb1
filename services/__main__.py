"""Run one of Hotline's services: `python -m services <name>` (see services/registry.py).

`python -m services --procfile` prints the Procfile the registry implies.
"""

import argparse
import sys

from plumbing.logs import configure_logging
from plumbing.serve import serve
from plumbing.settings import load
from services.registry import BY_NAME, SERVICES, procfile


def main(argv: list[str] | None = None) -> None:
    services = "\n".join(f"  {entry.name:10} {entry.summary}" for entry in SERVICES)
    parser = argparse.ArgumentParser(
        prog="python -m services",
        description="Run one of Hotline's services.",
        epilog=f"services:\n{services}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", nargs="?", choices=sorted(BY_NAME), help="the service to run")
    parser.add_argument("--procfile", action="store_true", help="print the Procfile for every service")
    args = parser.parse_args(argv)
    if args.procfile:
        sys.stdout.write(procfile())
        return
    if args.name is None:
        parser.error("name a service, or ask for --procfile")
    entry = BY_NAME[args.name]
    configure_logging()
    settings = load(entry.settings)
    service = entry.bootstrap(settings)
    serve(service.app, settings, entry.http_port)
    if service.runtime.failed is not None:
        sys.exit(f"{args.name} could not start: {service.runtime.failed}")


if __name__ == "__main__":
    main()
