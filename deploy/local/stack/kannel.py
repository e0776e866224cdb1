"""Kannel, the SMS gateway, from Debian's packages, with fakesmsc playing the operator's SMSC."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .component import Component
from .probes import HOST, port_open
from .processes import LOCAL, Proc, StackError, apt_install, render, require_tool, wait_until

# The local gateway's port (services/registry.py's; the stack's command line runs before any virtualenv
# exists, so it cannot import it: tests/unit/test_kannel_channel.py checks they agree).
GATEWAY_PORT = 8100


def gateway_url(password: str, port: int | None = None) -> str:
    """The local gateway's base URL as Kannel calls it: with its user and password (HTTP Basic)."""
    return f"http://kannel:{password}@{HOST}:{port or GATEWAY_PORT}"


def mo_service(gateway: str) -> str:
    """kannel.conf's sms-service: every text a customer sends goes to the gateway's SMS route, its bytes
    as they came (%b) with their coding and charset, named by Kannel's id of it (%I)."""
    query = "id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C&at=%T"
    return "\n".join(
        [
            "group = sms-service",
            "keyword = default",
            f'get-url = "{gateway}/v1/channels/kannel/sms?{query}"',
            "max-messages = 0",
            "omit-empty = true",
            "concatenation = true",
        ]
    )


class Kannel(Component):
    """Kannel bearerbox + smsbox from Debian, with fakesmsc standing in for the operator's SMSC."""

    name = "kannel"
    override_var = "KANNEL_SENDSMS_URL"
    admin_port = 13000
    smsbox_port = 13001
    sendsms_port = 13013
    fakesmsc_port = 10000
    ports = (admin_port, smsbox_port, sendsms_port, fakesmsc_port)
    username = "hotline"
    default_sender = "10690000"
    template = LOCAL / "kannel" / "kannel.conf.tmpl"

    @property
    def conf(self) -> Path:
        return self.dir / "kannel.conf"

    @property
    def fakesmsc_log(self) -> Path:
        return self.dir / "fakesmsc.log"

    def procs(self) -> list[Proc]:
        conf = str(self.conf)
        return [
            Proc("bearerbox", self.dir / "bearerbox.log", marker=conf),
            # fakesmsc takes no config file; its (never sent) MO message argument carries the marker.
            Proc("fakesmsc", self.fakesmsc_log, marker=conf),
            Proc("smsbox", self.dir / "smsbox.log", marker=conf),
        ]

    def purge_paths(self) -> list[Path]:
        return [self.dir / "access.log", self.dir / "smsbox-access.log", *super().purge_paths()]

    def credentials(self) -> dict[str, str]:
        path = self.dir / "credentials.json"
        loaded: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        wanted = ("admin_password", "sendsms_password", "gateway_password")
        if any(name not in loaded for name in wanted):  # a stack made before one was wanted gets it now
            loaded = {name: loaded.get(name) or secrets.token_hex(8) for name in wanted}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(loaded, indent=2) + "\n")
            path.chmod(0o600)
        return loaded

    def env(self) -> dict[str, str]:
        return {
            "KANNEL_SENDSMS_URL": f"http://{HOST}:{self.sendsms_port}/cgi-bin/sendsms",
            "KANNEL_USERNAME": self.username,
            "KANNEL_PASSWORD": self.credentials()["sendsms_password"],
            "FAKESMSC_LOG": str(self.fakesmsc_log),
            # Kannel calls the gateway with it (the get-url below, and each text's dlr-url); customers'
            # texts come back to the sender's number and a reply code after it.
            "GATEWAY_KANNEL_PASSWORD": self.credentials()["gateway_password"],
            "GATEWAY_KANNEL_NUMBER": self.default_sender,
            "SMS_SENDER": self.default_sender,
        }

    def external_reachable(self, value: str) -> bool:
        parsed = urllib.parse.urlsplit(value)
        return port_open(parsed.port or 80, host=parsed.hostname or HOST, timeout=2.0)

    def prepare(self) -> None:
        self.install()
        creds = self.credentials()
        render(
            self.template,
            self.conf,
            admin_port=self.admin_port,
            admin_password=creds["admin_password"],
            smsbox_port=self.smsbox_port,
            sendsms_port=self.sendsms_port,
            fakesmsc_port=self.fakesmsc_port,
            sendsms_username=self.username,
            sendsms_password=creds["sendsms_password"],
            default_sender=self.default_sender,
            run_dir=self.dir,
            mo_service=mo_service(gateway_url(creds["gateway_password"])),
        )

    def install(self) -> None:
        if shutil.which("bearerbox") and shutil.which("smsbox") and self.fakesmsc_path():
            return
        apt_install(["kannel", "kannel-extras"], self.dir / "install.log")
        self.disable_system_service()
        if not self.fakesmsc_path():
            raise StackError("fakesmsc not found after installing kannel-extras", [self.dir / "install.log"])

    @staticmethod
    def disable_system_service() -> None:
        # The Debian package's own bearerbox uses the same admin/smsbox ports (13000/13001).
        if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
            argv = ["systemctl", "disable", "--now", "kannel"]
        elif Path("/etc/init.d/kannel").exists():
            argv = ["/etc/init.d/kannel", "stop"]
        else:
            return
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    @staticmethod
    def fakesmsc_path() -> str | None:
        for candidate in ("/usr/lib/kannel/test/fakesmsc", "/usr/libexec/kannel/test/fakesmsc"):
            if os.access(candidate, os.X_OK):
                return candidate
        listing = subprocess.run(["dpkg", "-L", "kannel-extras"], capture_output=True, text=True, check=False)
        for line in listing.stdout.splitlines():
            if line.endswith("/fakesmsc") and os.access(line, os.X_OK):
                return line
        return shutil.which("fakesmsc")

    def start(self) -> None:
        bearerbox, fakesmsc, smsbox = self.procs()
        conf = str(self.conf)
        bearerbox.spawn([require_tool("bearerbox", "apt-get install kannel"), "-v", "1", conf], cwd=self.dir)
        # fakesmsc and smsbox exit at once if the bearerbox ports are not listening yet.
        listening = wait_until(
            lambda: (port_open(self.fakesmsc_port) and port_open(self.smsbox_port)) or not bearerbox.alive(),
            30.0,
        )
        if not listening or not bearerbox.alive():
            raise StackError("bearerbox did not open its ports", [bearerbox.log])
        fakesmsc_bin = self.fakesmsc_path() or "fakesmsc"
        # -m 0: send no MO messages, only receive. Its default verbosity (debug) is what logs
        # each MT message as "Got message N: <...>".
        fakesmsc.spawn(
            [fakesmsc_bin, "-H", HOST, "-r", str(self.fakesmsc_port), "-m", "0", f"0 0 text unused-{conf}"],
            cwd=self.dir,
        )
        smsbox.spawn([require_tool("smsbox", "apt-get install kannel"), "-v", "1", conf], cwd=self.dir)

    def ready(self) -> bool:
        return self.sendsms_answers() and self.smsc_online()

    def sendsms_answers(self) -> bool:
        url = f"http://{HOST}:{self.sendsms_port}/cgi-bin/sendsms"
        try:
            with urllib.request.urlopen(url, timeout=2.0):
                return True
        except urllib.error.HTTPError:
            return True  # 4xx without credentials is the expected answer
        except OSError:
            return False

    def smsc_online(self) -> bool:
        """bearerbox's admin status shows the fake SMSC online and the smsbox connected."""
        password = urllib.parse.quote(self.credentials()["admin_password"])
        url = f"http://{HOST}:{self.admin_port}/status.xml?password={password}"
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                status = response.read().decode(errors="replace")
        except OSError:
            return False
        return "<status>online" in status and "<type>smsbox</type>" in status
