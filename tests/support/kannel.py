"""A Kannel of one test's own (bearerbox, smsbox and fakesmsc on free ports) whose get-url names that
test's gateway: the stack's Kannel calls the local gateway's fixed port, which a test's gateway is not on.
Rendered from the stack's own kannel.conf template, so the test runs the configuration the stack does."""

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_from_bytes

from deploy.local.stack.kannel import Kannel, gateway_url, mo_service
from deploy.local.stack.probes import port_open
from deploy.local.stack.processes import render, wait_until
from deploy.local.watch import ReceivedSms, assembled
from tests.support.processes import free_port

USERNAME, PASSWORD = "hotline", "sendsms-test"


@dataclass
class PrivateKannel:
    dir: Path
    admin_port: int = field(default_factory=free_port)
    smsbox_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    fakesmsc_port: int = field(default_factory=free_port)
    phone: subprocess.Popen[bytes] | None = None
    boxes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def phone_log(self) -> Path:
        return self.dir / "fakesmsc.log"

    def start(self, gateway_port: int, gateway_password: str, sender: str) -> None:
        conf = self.dir / "kannel.conf"
        render(
            Kannel.template,
            conf,
            admin_port=self.admin_port,
            admin_password="admin-test",
            smsbox_port=self.smsbox_port,
            sendsms_port=self.sendsms_port,
            fakesmsc_port=self.fakesmsc_port,
            sendsms_username=USERNAME,
            sendsms_password=PASSWORD,
            default_sender=sender,
            run_dir=self.dir,
            mo_service=mo_service(gateway_url(gateway_password, gateway_port)),
        )
        self.boxes.append(self._spawn(["bearerbox", "-v", "1", str(conf)], "bearerbox.log"))
        if not wait_until(lambda: port_open(self.smsbox_port) and port_open(self.fakesmsc_port), 30):
            raise RuntimeError(f"bearerbox did not open its ports: {self.dir / 'bearerbox.log'}")
        self.boxes.append(self._spawn(["smsbox", "-v", "1", str(conf)], "smsbox.log"))
        if not wait_until(lambda: port_open(self.sendsms_port), 30):
            raise RuntimeError(f"smsbox did not open sendsms: {self.dir / 'smsbox.log'}")
        self.text_from(None)

    def text_from(self, message: tuple[str, str, str] | None) -> None:
        """The operator's SMSC side: one fakesmsc at a time is connected, which receives every text sent
        and, given (from, to, text), first sends that customer's text in UCS-2 as a phone does."""
        if self.phone is not None:
            self.phone.terminate()
            self.phone.wait(10)
            wait_until(lambda: not self._connected(), 10)
        argv = [Kannel.fakesmsc_path() or "fakesmsc", "-H", "127.0.0.1", "-r", str(self.fakesmsc_port)]
        if message is None:
            argv += ["-m", "0", "0 0 text unused"]
        else:
            sender, to, text = message
            argv += ["-m", "1", f"{sender} {to} ucs2 {quote_from_bytes(text.encode('utf-16-be'))}"]
        self.phone = self._spawn(argv, "fakesmsc.log")

    def received(self) -> list[ReceivedSms]:
        """Each text the SMSC got, whole (a long one's parts put together), with its sender."""
        lines = self.phone_log.read_text(errors="replace").splitlines() if self.phone_log.exists() else []
        return assembled(lines)

    def _connected(self) -> bool:
        log = self.dir / "bearerbox.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return text.count("Fakesmsc client connected") > text.count("Closing connection")

    def _spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        tool = shutil.which(argv[0]) or shutil.which(argv[0], path="/usr/sbin:/usr/bin") or argv[0]
        with (self.dir / log).open("ab") as out:
            return subprocess.Popen([tool, *argv[1:]], cwd=self.dir, stdout=out, stderr=out)

    def stop(self) -> None:
        for process in [self.phone, *reversed(self.boxes)]:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextlib.contextmanager
def private_kannel(
    dir: Path, gateway_port: int, gateway_password: str, sender: str
) -> Iterator[PrivateKannel]:
    kannel = PrivateKannel(dir)
    try:
        kannel.start(gateway_port, gateway_password, sender)
        time.sleep(0.5)  # the SMSC side connects
        yield kannel
    finally:
        kannel.stop()
