"""Running things for the stack: detached processes with pid files, logged build steps, tools, templates.

All state lives under <repo>/.run/; the data files these steps read live beside this package in deploy/local/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import string
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LOCAL = Path(__file__).resolve().parents[1]
REPO = LOCAL.parents[1]
RUN = REPO / ".run"

LOG_TAIL_LINES = 40


class StackError(Exception):
    """A component failed; `logs` are shown (tail) together with the message."""

    def __init__(self, message: str, logs: Sequence[Path] = ()) -> None:
        super().__init__(message)
        self.logs = list(logs)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll `check()` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())


def run_logged(
    argv: Sequence[str],
    log: Path,
    cwd: Path | None = None,
    what: str = "",
    user: str | None = None,
    env: dict[str, str] | None = None,
    secrets: Sequence[str] = (),
) -> None:
    """Run a build/fetch step to completion, appending its output to `log` (as `user` when given);
    `secrets` in its command line are written to the log as ***."""
    log.parent.mkdir(parents=True, exist_ok=True)
    shown = " ".join(argv)
    for secret in secrets:
        shown = shown.replace(secret, "***")
    with log.open("a") as out:
        out.write(f"\n=== {time.strftime('%F %T')} $ {shown}\n")
        out.flush()
        result = subprocess.run(
            argv,
            check=False,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            env=None if env is None else os.environ | env,
        )
    if result.returncode != 0:
        raise StackError(f"{what or argv[0]} failed (exit {result.returncode})", [log])


def require_tool(tool: str, hint: str) -> str:
    # Go's tarball install puts it outside the default PATH of non-login shells.
    path = shutil.which(tool) or shutil.which(tool, path="/usr/local/go/bin:/usr/lib/go/bin")
    if path is None:
        raise StackError(f"'{tool}' not found on PATH: {hint}")
    return path


def files_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def render(template: Path, target: Path, **values: object) -> None:
    text = string.Template(template.read_text()).substitute({k: str(v) for k, v in values.items()})
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def apt_install(packages: Sequence[str], log: Path) -> None:
    """apt-get install, refreshing the package lists once if the first attempt fails."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
    install = [*sudo, "apt-get", "install", "-y", "-q", *packages]
    try:
        run_logged(install, log, what="apt-get install")
    except StackError:
        run_logged([*sudo, "apt-get", "update", "-q"], log, what="apt-get update")
        run_logged(install, log, what=f"apt-get install {' '.join(packages)}")


@dataclass
class Proc:
    """One detached background process with a pid file in .run/ and its own log file."""

    name: str
    log: Path
    # Substring of /proc/<pid>/cmdline proving that a pid from the pid file is still ours
    # (pids get reused after a reboot or a crash).
    marker: str

    @property
    def pid_file(self) -> Path:
        return RUN / f"{self.name}.pid"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            return None
        if state in ("Z", "X") or self.marker not in cmdline:
            return None
        return pid

    def alive(self) -> bool:
        return self.pid() is not None

    def spawn(
        self, argv: Sequence[str], cwd: Path, user: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        """Start `argv` detached; as `user` when given (a server that refuses to run as root), with `env`
        added to the environment (secrets go there, not into argv, which the log records)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as out:
            out.write(f"\n=== {time.strftime('%F %T')} deploy.local.stack starting: {' '.join(argv)}\n")
            out.flush()
            try:
                # New session: the process outlives this script and gets no terminal signals.
                child = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    user=user,
                    group=user,
                    extra_groups=[] if user else None,
                    env=None if env is None else os.environ | env,
                )
            except OSError as error:
                raise StackError(f"cannot start {self.name} ({argv[0]}): {error}", [self.log]) from error
        self.pid_file.write_text(f"{child.pid}\n")
        # Popen returns once exec has begun, but the kernel fills /proc/<pid>/cmdline a moment
        # later; until then pid() would not see the marker and call the process dead.
        cmdline = Path(f"/proc/{child.pid}/cmdline")
        wait_until(lambda: child.poll() is not None or bool(cmdline.read_bytes()), 5.0, interval=0.01)

    def stop(self, timeout: float) -> bool:
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns whether it was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        self._signal(pid, signal.SIGTERM)
        if not wait_until(lambda: not self.alive(), timeout, interval=0.1):
            self._signal(pid, signal.SIGKILL)
            wait_until(lambda: not self.alive(), 10.0, interval=0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        # The process leads its own session/group (start_new_session), so signal the group
        # to also reach any helper it forked.
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)
