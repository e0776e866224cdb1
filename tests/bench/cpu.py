"""Where the CPU goes: CPU seconds of each process (and the children it reaped or still has: PostgreSQL's
backends) over a window, from /proc, so the figures say per contact what each part of the path costs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from deploy.local.stack.ferretdb import FerretDB
from deploy.local.stack.kafka import Kafka

TICKS = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: its own, and those of the children it has waited for)."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, ..., utime (12th), stime, cutime, cstime.
        found[int(entry.name)] = (int(fields[1]), sum(int(value) for value in fields[11:15]))
    return found


def _seconds(root: int, stats: Mapping[int, tuple[int, int]], roots: set[int]) -> float:
    """The root's CPU and its children's, but not that of children counted on their own (the bench starts
    the services it measures)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        ticks += stats.get(pid, (0, 0))[1]
        todo.extend(child for child in children.get(pid, []) if child not in roots)
    return ticks / TICKS


def stack_processes() -> dict[str, int]:
    """The local stack's processes that are running (none when they are external)."""
    ferretdb = FerretDB()
    found = {
        "kafka": Kafka().procs()[0].pid(),
        "ferretdb": ferretdb.procs()[1].pid(),
        "postgres": ferretdb.postgres.proc.pid(),
    }
    return {name: pid for name, pid in found.items() if pid is not None}


class CpuWindow:
    """CPU seconds each named process tree spent between start() and stop()."""

    def __init__(self, processes: Mapping[str, int]) -> None:
        self._processes = dict(processes)
        self._before: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        stats, roots = _stats(), set(self._processes.values())
        return {name: _seconds(pid, stats, roots) for name, pid in self._processes.items()}

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        return {name: round(spent - self._before[name], 2) for name, spent in self._now().items()}
