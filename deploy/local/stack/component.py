"""What every piece of the stack offers the command line: prepare, start, ready, env, stop, purge."""

from __future__ import annotations

import os
from pathlib import Path

from .probes import HOST, port_open
from .processes import RUN, Proc, StackError


class Component:
    """Base class: one piece of infrastructure made of one or more processes."""

    name = ""
    override_var = ""  # env var that, when set, marks the component as external
    ports: tuple[int, ...] = ()
    stop_timeout = 15.0

    @property
    def dir(self) -> Path:
        return RUN / self.name

    def procs(self) -> list[Proc]:
        raise NotImplementedError

    def external(self) -> str | None:
        return os.environ.get(self.override_var) or None

    def external_reachable(self, value: str) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Fetch/build/render everything needed to start; cheap when already done."""

    def start(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def purge_paths(self) -> list[Path]:
        return [proc.log for proc in self.procs()]

    def running(self) -> bool:
        return all(proc.alive() for proc in self.procs())

    def any_running(self) -> bool:
        return any(proc.alive() for proc in self.procs())

    def stop(self) -> bool:
        stopped = False
        for proc in reversed(self.procs()):  # procs() lists start order; dependents go first
            stopped = proc.stop(self.stop_timeout) or stopped
        return stopped

    def logs(self) -> list[Path]:
        return [proc.log for proc in self.procs()]

    def check_ports_free(self) -> None:
        busy = [port for port in self.ports if port_open(port, timeout=0.5)]
        if busy:
            raise StackError(
                f"port(s) {', '.join(map(str, busy))} on {HOST} already in use by a process "
                f"this script did not start (see `ss -ltnp`); stop it or set {self.override_var}"
            )

    def dead_procs(self) -> list[Proc]:
        return [proc for proc in self.procs() if not proc.alive()]
