"""Where each service's CPU goes: py-spy samples it while the load runs; the busiest frames are reported.

py-spy reads another process's memory (ptrace): without the permission (a container without SYS_PTRACE)
the bench says so and carries on without profiles. It samples without pausing the services
(--nonblocking), so the figures measured meanwhile are theirs; its own CPU counts as the bench's.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

# Frames where a process waits rather than works: the event loop's poll and idle worker threads.
WAITING = re.compile(r"^(EpollSelector\.select|_worker|Condition\.wait|wait|_wait_for_tstate_lock) ")
TOP = 8


class Profiles:
    def __init__(self, pids: dict[str, int], out: Path, rate: int = 100) -> None:
        self._pids = pids
        self._out = out
        self._rate = rate
        self._running: dict[str, tuple[subprocess.Popen[bytes], Path, Path]] = {}
        self.problem: str | None = None

    def start(self) -> None:
        binary = shutil.which("py-spy") or str(Path(__file__).parents[2] / ".venv" / "bin" / "py-spy")
        if not Path(binary).exists():
            self.problem = "py-spy not installed"
            return
        for name, pid in self._pids.items():
            raw, said = self._out / f"profile-{name}.txt", self._out / f"profile-{name}.log"
            raw.unlink(missing_ok=True)
            command = [binary, "record", "--nonblocking", "-p", str(pid), "-r", str(self._rate)]
            with said.open("wb") as log:
                process = subprocess.Popen(
                    [*command, "-f", "raw", "-o", str(raw)], stdout=log, stderr=subprocess.STDOUT
                )
            self._running[name] = (process, raw, said)

    def stop(self) -> dict[str, list[str]]:
        """Each service's busiest frames, as "12.3% function (file:line)", of the samples where it worked."""
        found: dict[str, list[str]] = {}
        for name, (process, raw, said) in self._running.items():
            process.send_signal(signal.SIGINT)  # py-spy writes what it sampled when interrupted
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            if not raw.exists():
                lines = said.read_text(errors="replace").strip().splitlines()
                self.problem = lines[-1] if lines else "py-spy wrote no profile"
                continue
            found[name] = busiest(raw)
        self._running = {}
        return found


FRAME_FILE = re.compile(r"\((?P<path>[^:()]+):\d+\)$")


def _package(frame: str) -> str:
    match = FRAME_FILE.search(frame)
    return match.group("path").split("/", 1)[0].removesuffix(".py") if match else "?"


def busiest(raw: Path) -> list[str]:
    """The packages the working samples were in (a sample counts for each package on its stack, so the
    shares overlap: fastapi calls plumbing, which calls aiokafka), then the busiest frames of their own."""
    packages: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if WAITING.match(frames[-1]):
            continue
        own[frames[-1]] += int(count)
        for package in {_package(frame) for frame in frames} - {"<frozen runpy>", "runpy", "?"}:
            packages[package] += int(count)
    working = sum(own.values())
    if not working:
        return []
    # Packages on (nearly) every stack are the process's own frame (asyncio, uvicorn, the entrypoint).
    share = [
        f"{100 * n / working:.0f}% {package}" for package, n in packages.most_common() if n < 0.99 * working
    ][:10]
    frames = [f"{100 * n / working:.1f}% {frame}" for frame, n in own.most_common(TOP)]
    return [f"in: {', '.join(share)}", *frames]
