"""A service run as its own OS process, as in production, so a test can kill it."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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

    async def start(self, *, until_ready: bool = True) -> None:
        """Launch it; by default, wait until it says it is ready, else only until its probes answer."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "services", self.service],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=log,
            )
        await eventually(self._ready if until_ready else self._alive, timeout=60)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Started until ready, stopped afterwards; its base URL."""
        await self.start()
        try:
            yield f"http://127.0.0.1:{self.port}"
        finally:
            self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    async def probe(self, path: str) -> tuple[int, Any] | None:
        """A probe's status and body, or None while the process does not answer HTTP."""
        if not self.alive:
            raise AssertionError(f"{self.service} exited; see {self._log}")
        try:
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{self.port}{path}", timeout=2)
                return response.status_code, response.json()
        except httpx.HTTPError:
            return None

    async def _alive(self) -> bool:
        return await self.probe("/healthz") is not None

    async def _ready(self) -> bool:
        answer = await self.probe("/readyz")
        return answer is not None and answer[0] == 200

    def log_lines(self) -> list[str]:
        return self._log.read_text(errors="replace").splitlines()

    def terminate(self) -> float:
        """SIGTERM, as Kubernetes sends it; how many seconds until the process was gone."""
        assert self._process is not None
        began = time.monotonic()
        self._process.terminate()
        self._process.wait(timeout=60)
        return time.monotonic() - began

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
