"""FerretDB, the MongoDB wire-protocol store, built with Go from deploy/local/ferretdb, on PostgreSQL."""

from __future__ import annotations

import struct
import urllib.parse
from pathlib import Path

from ..credentials import STORE_ANONYMOUS, store_users, with_login
from .component import Component
from .postgres import PORT as POSTGRES_PORT
from .postgres import ROLE, Postgres
from .probes import HOST, mongo_ping, port_open
from .processes import LOCAL, RUN, Proc, files_digest, require_tool, run_logged


class FerretDB(Component):
    """FerretDB v1 (MongoDB wire protocol) on a PostgreSQL cluster of its own (postgres.py).

    Not on SQLite: there FerretDB 1.24 answers every query with a scan of the collection, and no index
    can help (its index expressions differ from its query expressions; FerretDB issue 4646).
    """

    name = "ferretdb"
    override_var = "MONGODB_URI"
    port = 17017
    ports = (port, POSTGRES_PORT)
    source = LOCAL / "ferretdb"

    @property
    def binary(self) -> Path:
        return RUN / "bin" / "ferretdb"

    @property
    def postgres(self) -> Postgres:
        return Postgres(self.dir / "postgres")

    def procs(self) -> list[Proc]:
        return [self.postgres.proc, Proc("ferretdb", self.dir / "ferretdb.log", marker=str(self.binary))]

    def env(self) -> dict[str, str]:
        # Without credentials a client is FerretDB's anonymous role, which may do nothing; each service is
        # started with its own role (deploy.local.credentials.service_env), the tools with the admin's.
        plain = f"mongodb://{HOST}:{self.port}/"
        return {
            "MONGODB_URI": plain,
            "MONGODB_ADMIN_URI": with_login(plain, ROLE, self.postgres.password()),
        }

    def external_reachable(self, value: str) -> bool:
        parsed = urllib.parse.urlsplit(value)
        first = parsed.netloc.rpartition("@")[2].split(",")[0]
        host, _, port = first.rpartition(":")
        if not port.isdigit():
            host, port = first, "27017"
        return port_open(int(port), host=host or HOST, timeout=2.0)

    def purge_paths(self) -> list[Path]:
        return [self.postgres.data, *super().purge_paths()]

    def prepare(self) -> None:
        self.build()
        self.postgres.prepare()

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
        postgres = self.postgres
        postgres.start()
        argv = [
            str(self.binary),
            f"--listen-addr={HOST}:{self.port}",
            "--handler=postgresql",
            "--log-level=warn",
        ]
        anonymous = postgres.url(STORE_ANONYMOUS, store_users()[STORE_ANONYMOUS])
        self.procs()[1].spawn(argv, cwd=self.dir, env={"FERRETDB_POSTGRESQL_URL": anonymous})

    def ready(self) -> bool:
        try:
            return mongo_ping(HOST, self.port)
        except (OSError, struct.error, ValueError):
            return False
