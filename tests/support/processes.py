"""A service run as its own OS process, as in production, so a test can kill it."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from deploy.local.watch import eventually

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    def __init__(self, service: str, env: dict[str, str], log: Path) -> None:
        self.service = service
        self.port = free_port()
        self._env = os.environ | env | {"HOTLINE_HTTP_PORT": str(self.port)}
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "services", self.service],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=log,
            )
        await eventually(self._ready, timeout=60)

    async def _ready(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"{self.service} exited with {self._process.returncode}; see {self._log}")
        try:
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                return response.status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no flushing, as when a node dies."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
