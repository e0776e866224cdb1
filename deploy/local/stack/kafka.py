"""Apache Kafka as a single KRaft node, run straight from the Maven Central jars."""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import uuid
from pathlib import Path

from ..credentials import KAFKA_ADMIN, kafka_users
from .component import Component
from .probes import HOST, kafka_api_versions_answered, port_open
from .processes import LOCAL, Proc, StackError, apt_install, files_digest, render, require_tool, run_logged


class Kafka(Component):
    """Apache Kafka, single-node KRaft (combined broker + controller), jars fetched with Maven; every
    client logs in with SASL/SCRAM as its own user (deploy/local/stack/kafka_users.py)."""

    name = "kafka"
    override_var = "KAFKA_BOOTSTRAP_SERVERS"
    broker_port = 19092
    controller_port = 19093
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

    pom = LOCAL / "kafka" / "pom.xml"
    log4j_config = LOCAL / "kafka" / "log4j2.properties"
    properties_template = LOCAL / "kafka" / "server.properties.tmpl"

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
        # The admin is for the stack's tools (the tests' taps, the demo's watcher, the bench); each service
        # is started with its own user (deploy.local.credentials.service_env).
        return {
            "KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{self.broker_port}",
            "KAFKA_ADMIN_USERNAME": KAFKA_ADMIN,
            "KAFKA_ADMIN_PASSWORD": kafka_users()[KAFKA_ADMIN],
        }

    def external_reachable(self, value: str) -> bool:
        host, _, port = value.split(",")[0].strip().rpartition(":")
        return port.isdigit() and port_open(int(port), host=host or HOST, timeout=2.0)

    def purge_paths(self) -> list[Path]:
        return [self.data, *super().purge_paths()]

    @property
    def users_stamp(self) -> Path:
        return self.data / ".users-provisioned"

    def prepare(self) -> None:
        self.fetch_libs()
        admin_password = kafka_users()[KAFKA_ADMIN]
        render(
            self.properties_template,
            self.properties,
            broker_port=self.broker_port,
            controller_port=self.controller_port,
            data_dir=self.data,
            admin_password=admin_password,
        )
        self.properties.chmod(0o600)
        formatted = (self.data / "meta.properties").exists()
        admin_mark = self.data / ".admin"
        admin_digest = hashlib.sha256(admin_password.encode()).hexdigest()
        if formatted and (not admin_mark.exists() or admin_mark.read_text() != admin_digest):
            # Data from before the cluster had users, or whose admin password was since made anew,
            # cannot be logged in to: it starts empty.
            print("kafka     its data predates the local Kafka users; starting it empty", flush=True)
            shutil.rmtree(self.data)
            formatted = False
        if not formatted:
            self.format_storage(admin_password)
            admin_mark.write_text(admin_digest)

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

    def format_storage(self, admin_password: str) -> None:
        # The admin's SCRAM credential must exist before the broker starts: it logs in to itself with it.
        argv = self.java(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            self.cluster_id(),
            "-c",
            str(self.properties),
            "--add-scram",
            f"SCRAM-SHA-512=[name={KAFKA_ADMIN},password={admin_password}]",
        )
        # StorageTool takes the credential only on its command line: kept out of the log at least.
        run_logged(argv, self.dir / "kafka.log", what="Kafka storage format", secrets=[admin_password])

    def start(self) -> None:
        self.procs()[0].spawn(self.java("kafka.Kafka", str(self.properties)), cwd=self.dir)

    def ready(self) -> bool:
        """The broker answers, and the services' users and ACLs are in place (applied once per change)."""
        try:
            if not kafka_api_versions_answered(HOST, self.broker_port):
                return False
        except (OSError, struct.error, ValueError):
            return False
        from .kafka_users import provision

        try:
            provision(f"{HOST}:{self.broker_port}", self.users_stamp)
        except ConnectionError:
            return False
        except StackError as error:
            raise StackError(str(error), [self.dir / "kafka.log"]) from error
        return True
