#!/usr/bin/env python3
"""Local infrastructure for Hotline: Kafka (KRaft), FerretDB (MongoDB wire protocol), Kannel (SMS).

    python3 deploy/local/stack.py up             fetch/build what is missing, start, wait until ready
    python3 deploy/local/stack.py down [--purge] stop everything (--purge also wipes data and logs)
    python3 deploy/local/stack.py status         one line per component; exit 0 only if all are up
    python3 deploy/local/stack.py env            print the KEY=VALUE lines also written to .run/stack.env

Standard library only: it runs before any virtualenv exists. All state lives under <repo>/.run/.
Setting KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI or KANNEL_SENDSMS_URL marks that component as
external: `up` does not start it and passes the given value through to the env lines.

Ports (all on 127.0.0.1): Kafka 39092 (broker) and 39093 (KRaft controller); FerretDB 37017;
Kannel 13000 (bearerbox admin), 13001 (smsbox link), 13013 (sendsms HTTP), 10000 (fake SMSC).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUN = REPO / ".run"

HOST = "127.0.0.1"
READY_TIMEOUT = 180.0
LOG_TAIL_LINES = 40


class StackError(Exception):
    """A component failed; `logs` are shown (tail) together with the message."""

    def __init__(self, message: str, logs: Sequence[Path] = ()) -> None:
        super().__init__(message)
        self.logs = list(logs)


# --------------------------------------------------------------------------- helpers


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def port_open(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll `check()` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())


def run_logged(argv: Sequence[str], log: Path, cwd: Path | None = None, what: str = "") -> None:
    """Run a build/fetch step to completion, appending its output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"\n=== {time.strftime('%F %T')} $ {' '.join(argv)}\n")
        out.flush()
        result = subprocess.run(
            argv, check=False, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
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


# --------------------------------------------------------------------------- processes


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

    def spawn(self, argv: Sequence[str], cwd: Path) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as out:
            out.write(f"\n=== {time.strftime('%F %T')} stack.py starting: {' '.join(argv)}\n")
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


# --------------------------------------------------------------------------- components


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


class Kafka(Component):
    """Apache Kafka, single-node KRaft (combined broker + controller), jars fetched with Maven."""

    name = "kafka"
    override_var = "KAFKA_BOOTSTRAP_SERVERS"
    broker_port = 39092
    controller_port = 39093
    ports = (broker_port, controller_port)
    stop_timeout = 60.0  # controlled shutdown flushes logs; give it time before SIGKILL
    java_opts = (
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        # Log4j's own shutdown hook would otherwise stop logging halfway through Kafka's.
        "-Dlog4j2.shutdownHookEnabled=false",
    )

    pom = HERE / "kafka" / "pom.xml"
    log4j_config = HERE / "kafka" / "log4j2.properties"
    properties_template = HERE / "kafka" / "server.properties.tmpl"

    @property
    def libs(self) -> Path:
        return self.dir / "libs"

    @property
    def data(self) -> Path:
        return self.dir / "data"

    @property
    def properties(self) -> Path:
        return self.dir / "server.properties"

    def procs(self) -> list[Proc]:
        return [Proc("kafka", self.dir / "kafka.log", marker=str(self.properties))]

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{self.broker_port}"}

    def external_reachable(self, value: str) -> bool:
        host, _, port = value.split(",")[0].strip().rpartition(":")
        return port.isdigit() and port_open(int(port), host=host or HOST, timeout=2.0)

    def purge_paths(self) -> list[Path]:
        return [self.data, *super().purge_paths()]

    def prepare(self) -> None:
        self.fetch_libs()
        render(
            self.properties_template,
            self.properties,
            broker_port=self.broker_port,
            controller_port=self.controller_port,
            data_dir=self.data,
        )
        if not (self.data / "meta.properties").exists():
            self.format_storage()

    def fetch_libs(self) -> None:
        stamp = self.libs / ".pom.sha256"
        digest = files_digest([self.pom])
        if stamp.exists() and stamp.read_text() == digest:
            return
        self.ensure_java_and_maven()
        shutil.rmtree(self.libs, ignore_errors=True)  # a changed pom must not leave old jars behind
        argv = [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(self.pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={self.libs}",
        ]
        run_logged(argv, self.dir / "fetch.log", what="Maven fetch of the Kafka jars")
        stamp.write_text(digest)

    def ensure_java_and_maven(self) -> None:
        if shutil.which("java") and shutil.which("mvn"):
            return
        apt_install(["openjdk-17-jre-headless", "maven"], self.dir / "fetch.log")

    def java(self, main_class: str, *args: str) -> list[str]:
        java = require_tool("java", "install a JRE 17+ (apt-get install openjdk-17-jre-headless)")
        return [
            java,
            *self.java_opts,
            f"-Dlog4j2.configurationFile={self.log4j_config}",
            "-cp",
            f"{self.libs}/*",
            main_class,
            *args,
        ]

    def cluster_id(self) -> str:
        path = self.dir / "cluster.id"
        if not path.exists():
            # Same shape as kafka-storage.sh random-uuid: url-safe base64 of 16 random bytes.
            cid = "-"
            while cid.startswith("-"):
                cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            path.write_text(cid + "\n")
        return path.read_text().strip()

    def format_storage(self) -> None:
        argv = self.java(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            self.cluster_id(),
            "-c",
            str(self.properties),
        )
        run_logged(argv, self.dir / "kafka.log", what="Kafka storage format")

    def start(self) -> None:
        self.procs()[0].spawn(self.java("kafka.Kafka", str(self.properties)), cwd=self.dir)

    def ready(self) -> bool:
        try:
            return kafka_broker_ready(HOST, self.broker_port)
        except (OSError, struct.error, ValueError):
            return False


class FerretDB(Component):
    """FerretDB v1 (MongoDB wire protocol) on its SQLite backend, built from deploy/local/ferretdb."""

    name = "ferretdb"
    override_var = "MONGODB_URI"
    port = 37017
    ports = (port,)
    source = HERE / "ferretdb"

    @property
    def binary(self) -> Path:
        return RUN / "bin" / "ferretdb"

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def procs(self) -> list[Proc]:
        return [Proc("ferretdb", self.dir / "ferretdb.log", marker=str(self.binary))]

    def env(self) -> dict[str, str]:
        return {"MONGODB_URI": f"mongodb://{HOST}:{self.port}/"}

    def external_reachable(self, value: str) -> bool:
        parsed = urllib.parse.urlsplit(value)
        first = parsed.netloc.rpartition("@")[2].split(",")[0]
        host, _, port = first.rpartition(":")
        if not port.isdigit():
            host, port = first, "27017"
        return port_open(int(port), host=host or HOST, timeout=2.0)

    def purge_paths(self) -> list[Path]:
        return [self.data, *super().purge_paths()]

    def prepare(self) -> None:
        self.build()
        self.data.mkdir(parents=True, exist_ok=True)

    def build(self) -> None:
        stamp = self.binary.with_suffix(".sha256")
        digest = files_digest([self.source / name for name in ("go.mod", "go.sum", "main.go")])
        if self.binary.exists() and stamp.exists() and stamp.read_text() == digest:
            return
        go = require_tool("go", "install Go >= 1.24 (https://go.dev/dl) to build FerretDB")
        self.binary.parent.mkdir(parents=True, exist_ok=True)
        argv = [go, "build", "-trimpath", "-o", str(self.binary), "."]
        run_logged(argv, self.dir / "build.log", cwd=self.source, what="go build of FerretDB")
        stamp.write_text(digest)

    def start(self) -> None:
        argv = [
            str(self.binary),
            f"--listen-addr={HOST}:{self.port}",
            "--handler=sqlite",
            f"--sqlite-url=file:{self.data}/",
            "--log-level=warn",
        ]
        self.procs()[0].spawn(argv, cwd=self.dir)

    def ready(self) -> bool:
        try:
            return mongo_ping(HOST, self.port)
        except (OSError, struct.error, ValueError):
            return False


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
    template = HERE / "kannel" / "kannel.conf.tmpl"

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
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            creds = {"admin_password": secrets.token_hex(8), "sendsms_password": secrets.token_hex(8)}
            path.write_text(json.dumps(creds, indent=2) + "\n")
            path.chmod(0o600)
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded

    def env(self) -> dict[str, str]:
        return {
            "KANNEL_SENDSMS_URL": f"http://{HOST}:{self.sendsms_port}/cgi-bin/sendsms",
            "KANNEL_USERNAME": self.username,
            "KANNEL_PASSWORD": self.credentials()["sendsms_password"],
            "FAKESMSC_LOG": str(self.fakesmsc_log),
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


# --------------------------------------------------------------------------- protocol probes


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _kafka_request(
    sock: socket.socket, api_key: int, version: int, correlation_id: int, body: bytes = b""
) -> bytes:
    client_id = b"hotline-stack"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    response = _recv_exact(sock, size)
    if struct.unpack(">i", response[:4])[0] != correlation_id:
        raise ValueError("correlation id mismatch")
    return response[4:]


def kafka_broker_ready(host: str, port: int) -> bool:
    """ApiVersions v0 answers without error and Metadata v1 lists at least one broker."""
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.settimeout(5.0)
        api_versions = _kafka_request(sock, api_key=18, version=0, correlation_id=1)
        (error_code,) = struct.unpack(">h", api_versions[:2])
        if error_code != 0:
            return False
        metadata = _kafka_request(sock, api_key=3, version=1, correlation_id=2, body=struct.pack(">i", -1))
        broker_count: int = struct.unpack(">i", metadata[:4])[0]
        return broker_count >= 1


def _bson_document(fields: dict[str, int | str]) -> bytes:
    body = b""
    for key, value in fields.items():
        name = key.encode() + b"\0"
        if isinstance(value, int):
            body += b"\x10" + name + struct.pack("<i", value)
        else:
            encoded = value.encode() + b"\0"
            body += b"\x02" + name + struct.pack("<i", len(encoded)) + encoded
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def _bson_ok(document: bytes) -> float | None:
    """Return the top-level "ok" of a BSON reply (all that a ping answer holds)."""
    fixed_sizes = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8}
    offset = 4
    while offset < len(document) - 1:
        kind = document[offset]
        end = document.index(b"\0", offset + 1)
        name = document[offset + 1 : end].decode()
        offset = end + 1
        if name == "ok" and kind == 0x01:
            return float(struct.unpack("<d", document[offset : offset + 8])[0])
        if name == "ok" and kind in (0x10, 0x12):
            fmt = "<i" if kind == 0x10 else "<q"
            return float(struct.unpack(fmt, document[offset : offset + struct.calcsize(fmt)])[0])
        if kind in fixed_sizes:
            offset += fixed_sizes[kind]
        elif kind in (0x02, 0x0D, 0x0E):
            offset += 4 + struct.unpack("<i", document[offset : offset + 4])[0]
        elif kind in (0x03, 0x04):
            offset += struct.unpack("<i", document[offset : offset + 4])[0]
        elif kind == 0x05:
            offset += 5 + struct.unpack("<i", document[offset : offset + 4])[0]
        else:
            return None
    return None


def mongo_ping(host: str, port: int) -> bool:
    """Send an OP_MSG {ping: 1, $db: "admin"} and check the reply says ok: 1."""
    op_msg = 2013
    payload = struct.pack("<I", 0) + b"\0" + _bson_document({"ping": 1, "$db": "admin"})
    message = struct.pack("<iiii", 16 + len(payload), 1, 0, op_msg) + payload
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.settimeout(5.0)
        sock.sendall(message)
        length, _request_id, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        reply = _recv_exact(sock, length - 16)
    if opcode != op_msg or response_to != 1 or reply[4] != 0:
        return False
    return _bson_ok(reply[5:]) == 1.0


# --------------------------------------------------------------------------- commands


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
    values: dict[str, str] = {}
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


def cmd_up() -> int:
    waiting: list[Starting] = []
    to_start: list[Starting] = []
    for component in COMPONENTS:
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


def cmd_down(purge: bool) -> int:
    for component in reversed(COMPONENTS):
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start everything that is not running and wait until ready")
    down = commands.add_parser("down", help="stop everything this script started")
    down.add_argument("--purge", action="store_true", help="also wipe data directories and logs")
    commands.add_parser("status", help="show each component up/down; exit 0 only if all are up")
    commands.add_parser("env", help="print the KEY=VALUE lines of .run/stack.env")
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            with stack_lock():
                return cmd_up()
        if args.command == "down":
            with stack_lock():
                return cmd_down(args.purge)
        if args.command == "status":
            return cmd_status()
        return cmd_env()
    except StackError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        for log in error.logs:
            print(f"\n--- last {LOG_TAIL_LINES} lines of {log} ---\n{log_tail(log)}", file=sys.stderr)
        if args.command == "up":
            print(
                "\n(components that did start are left running: `stack.py down` stops them)", file=sys.stderr
            )
        return 1


if __name__ == "__main__":
    sys.exit(main())
