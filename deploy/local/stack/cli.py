"""Local infrastructure for Hotline: Kafka (KRaft), FerretDB on PostgreSQL (MongoDB wire), Kannel (SMS).

    python -m deploy.local.stack up [NAME...]   fetch/build what is missing, start, wait until ready
    python -m deploy.local.stack down [--purge] [NAME...]
                                                 stop everything, or the named components (kafka,
                                                 ferretdb, kannel); --purge also wipes data and logs
    python -m deploy.local.stack status         one line per component; exit 0 only if all are up
    python -m deploy.local.stack env            print the KEY=VALUE lines also written to .run/stack.env

Run it with the virtualenv's Python (`make up`): Kafka's users and ACLs are applied with confluent-kafka's
admin client. All state lives under <repo>/.run/.
Setting KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI or KANNEL_SENDSMS_URL marks that component as
external: `up` does not start it and passes the given value through to the env lines.

Ports (all on 127.0.0.1): Kafka 19092 (broker) and 19093 (KRaft controller); FerretDB 17017 and its
PostgreSQL 15432;
Kannel 13000 (bearerbox admin), 13001 (smsbox link), 13013 (sendsms HTTP), 10000 (fake SMSC).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from ..credentials import PASSWORD_KEYS, SEAL_KEYS, SIGNING_KEYS, ensure_local_credentials
from .component import Component
from .ferretdb import FerretDB
from .kafka import Kafka
from .kannel import Kannel
from .processes import LOG_TAIL_LINES, RUN, StackError, log_tail

T = TypeVar("T")

READY_TIMEOUT = 180.0

COMPONENTS: list[Component] = [Kafka(), FerretDB(), Kannel()]


def say(component: Component, state: str, seconds: float | None = None, detail: str = "") -> None:
    took = f" ({seconds:.1f}s)" if seconds is not None else ""
    print(f"{component.name:<9} {state}{took}{'  ' + detail if detail else ''}", flush=True)


@contextmanager
def stack_lock() -> Iterator[None]:
    """Serialise concurrent up/down runs (e.g. parallel test sessions)."""
    RUN.mkdir(parents=True, exist_ok=True)
    with (RUN / "stack.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def env_lines() -> list[str]:
    # The gateway's principals are made here too: every local run (demo, tests, bench, `make run`) has them.
    values: dict[str, str] = {
        "HOTLINE_ENVIRONMENT": "local",
        "GATEWAY_PRINCIPALS_PATH": str(ensure_local_credentials()),
        "GATEWAY_SIGNING_KEYS_PATH": str(SIGNING_KEYS),
        "GATEWAY_SEAL_KEYS_PATH": str(SEAL_KEYS),
        "GATEWAY_PASSWORD_KEYS_PATH": str(PASSWORD_KEYS),
    }
    for component in COMPONENTS:
        external = component.external()
        if external is None:
            values.update(component.env())
        else:
            # Pass the external settings through, including optional companions such as KANNEL_USERNAME.
            for key in component.env():
                if os.environ.get(key):
                    values[key] = os.environ[key]
    return [f"{key}={value}" for key, value in values.items()]


@dataclass
class Starting:
    """A component being started: prepared, then spawned, then waited on until ready."""

    component: Component
    prepare_seconds: float = 0.0
    spawned_at: float = 0.0


def prepare(component: Component) -> Starting:
    """Fetch/build/configure `component`, so that its start itself is quick."""
    if component.any_running():
        component.stop()  # partially running (e.g. bearerbox died): restart as a unit
    component.check_ports_free()
    began = time.monotonic()
    component.prepare()
    return Starting(component, prepare_seconds=time.monotonic() - began)


def with_name(component: Component, step: Callable[[Component], T]) -> T:
    """Run one step of `component`, prefixing any failure with the component's name."""
    try:
        return step(component)
    except StackError as error:
        raise StackError(f"{component.name}: {error}", error.logs) from error


def wait_ready(starting: list[Starting]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while starting:
        for entry in list(starting):
            component = entry.component
            dead = component.dead_procs()
            if dead:
                names = ", ".join(proc.name for proc in dead)
                raise StackError(f"{component.name}: {names} exited during start-up", [p.log for p in dead])
            if component.ready():
                prepared = (
                    f"after {entry.prepare_seconds:.1f}s fetch/build/config"
                    if entry.prepare_seconds >= 1
                    else ""
                )
                say(component, "started", time.monotonic() - entry.spawned_at, detail=prepared)
                starting.remove(entry)
        if starting and time.monotonic() > deadline:
            component = starting[0].component
            raise StackError(f"{component.name}: not ready after {READY_TIMEOUT:.0f}s", component.logs())
        time.sleep(0.25)


def chosen(names: Sequence[str]) -> list[Component]:
    """The named components in start order; all of them when none is named."""
    known = {component.name: component for component in COMPONENTS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise StackError(f"no component named {', '.join(unknown)}; the stack has {', '.join(known)}")
    return [component for component in COMPONENTS if not names or component.name in names]


def cmd_up(names: Sequence[str] = ()) -> int:
    waiting: list[Starting] = []
    to_start: list[Starting] = []
    for component in chosen(names):
        began = time.monotonic()
        external = component.external()
        if external is not None:
            say(component, "external", detail=f"{component.override_var}={external}")
        elif component.running() and component.ready():
            say(component, "already running", time.monotonic() - began)
        elif component.running():
            waiting.append(Starting(component, spawned_at=began))  # e.g. started by a parallel `up`
        else:
            to_start.append(with_name(component, prepare))
    # Spawn only once everything is fetched and built, so start-up times are not skewed by builds.
    for entry in to_start:
        entry.spawned_at = time.monotonic()
        with_name(entry.component, lambda component: component.start())
    wait_ready(waiting + to_start)
    (RUN / "stack.env").write_text("\n".join(env_lines()) + "\n")
    print(f"env written to {RUN / 'stack.env'}")
    return 0


def cmd_down(purge: bool, names: Sequence[str] = ()) -> int:
    for component in reversed(chosen(names)):
        began = time.monotonic()
        # Stop what this script started even if an override now points elsewhere.
        if component.stop():
            say(component, "stopped", time.monotonic() - began)
        else:
            say(component, "external" if component.external() else "not running")
        if purge:
            for path in component.purge_paths():
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
    if not names:  # one component stopped for a while (an outage test) leaves the settings in place
        (RUN / "stack.env").unlink(missing_ok=True)
    if purge:
        print("data and logs wiped (downloads, builds and credentials kept)")
    return 0


def cmd_status() -> int:
    all_up = True
    for component in COMPONENTS:
        external = component.external()
        if external is not None:
            up = component.external_reachable(external)
            say(
                component,
                f"{'up' if up else 'down'} (external)",
                detail=f"{component.override_var}={external}",
            )
        else:
            up = component.running() and component.ready()
            pids = ", ".join(f"{p.name}={p.pid()}" for p in component.procs() if p.alive())
            say(component, "up" if up else "down", detail=pids)
        all_up = all_up and up
    return 0 if all_up else 1


def cmd_env() -> int:
    print("\n".join(env_lines()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # Under `-m`, argparse would otherwise name the program "__main__.py".
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local.stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    names = {"nargs": "*", "metavar": "NAME", "help": "only these components: kafka, ferretdb, kannel"}
    up = commands.add_parser("up", help="start everything that is not running and wait until ready")
    up.add_argument("components", **names)  # type: ignore[arg-type]
    down = commands.add_parser("down", help="stop everything this script started")
    down.add_argument("--purge", action="store_true", help="also wipe data directories and logs")
    down.add_argument("components", **names)  # type: ignore[arg-type]
    commands.add_parser("status", help="show each component up/down; exit 0 only if all are up")
    commands.add_parser("env", help="print the KEY=VALUE lines of .run/stack.env")
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            with stack_lock():
                return cmd_up(args.components)
        if args.command == "down":
            with stack_lock():
                return cmd_down(args.purge, args.components)
        if args.command == "status":
            return cmd_status()
        return cmd_env()
    except StackError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        for log in error.logs:
            print(f"\n--- last {LOG_TAIL_LINES} lines of {log} ---\n{log_tail(log)}", file=sys.stderr)
        if args.command == "up":
            print("\n(components that did start are left running: `make down` stops them)", file=sys.stderr)
        return 1
