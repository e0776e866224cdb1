"""PostgreSQL, FerretDB's backend: Debian's server, a cluster of the stack's own in .run/, on its own port.

The cluster is made with initdb on first start (a generated password, scram on loopback only), started as
the `postgres` user when the stack runs as root (PostgreSQL refuses root), and given the SQL that makes
FerretDB's indexes serve FerretDB's queries (deploy/local/postgres/gin_indexes.sql) and the guard that makes
its updates safe for racing writers (deploy/local/postgres/write_guard.sql).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
from pathlib import Path

from ..credentials import STORE_ANONYMOUS, store_users
from .probes import HOST, port_open
from .processes import LOCAL, Proc, StackError, apt_install, run_logged, wait_until

PORT = 15432
DATABASE = "ferretdb"
ROLE = "hotline"
CREATE_SQL = LOCAL / "postgres" / "create_database.sql"
SETUP_SQL = LOCAL / "postgres" / "gin_indexes.sql"
GUARD_SQL = LOCAL / "postgres" / "write_guard.sql"
USERS_SQL = LOCAL / "postgres" / "store_users.sql"
# FerretDB 1.24 holds two pooled connections for each update or delete (the cursor that finds the document
# stays open while the write takes a second one): once as many writes run at once as its pool holds (50 by
# default), each holds one and waits for another, for good; every command then hangs, even ping. So its
# pool (the URL below) is sized well above what a subsystem's services send at once (MONGODB_MAX_POOL_SIZE,
# 25 each) plus tests and tools sharing the stack, and the server for its pool.
FERRETDB_POOL = 400
SERVER_SETTINGS = {
    "listen_addresses": HOST,
    "port": str(PORT),
    "unix_socket_directories": "",
    # The planner must see FerretDB's `_jsonb->$1` field name as a constant to match an expression index.
    "plan_cache_mode": "force_custom_plan",
    "shared_buffers": "256MB",
    "max_connections": str(FERRETDB_POOL + 20),
}


def server_binaries(log: Path) -> Path:
    """The newest installed server's bin directory, installing Debian's server (logged to `log`) if none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not found:
        apt_install(["postgresql"], log)
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise StackError("no PostgreSQL server after installing Debian's postgresql package")
    return found[-1].parent


class Postgres:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / "data"
        self.log = home / "postgres.log"
        self.proc = Proc("postgres", self.log, marker=str(self.data))
        # Root may not run the server; the Debian package creates this user.
        self.user = "postgres" if os.geteuid() == 0 else None

    def password(self) -> str:
        path = self.home / "credentials.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"password": secrets.token_hex(12)}) + "\n")
            path.chmod(0o600)
        password: str = json.loads(path.read_text())["password"]
        return password

    def url(self, role: str = ROLE, password: str | None = None) -> str:
        """FerretDB's URL; its role is what a client without credentials gets."""
        secret = password if password is not None else self.password()
        return f"postgres://{role}:{secret}@{HOST}:{PORT}/{DATABASE}?pool_max_conns={FERRETDB_POOL}"

    def prepare(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        bin_dir = server_binaries(self.log)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.user:
            self.check_reachable()
        password_file = self.home / "initdb.pw"
        password_file.write_text(self.password() + "\n")
        if self.user:
            shutil.chown(self.home, self.user, self.user)
            shutil.chown(password_file, self.user, self.user)
        argv = [
            str(bin_dir / "initdb"),
            f"--pgdata={self.data}",
            f"--username={ROLE}",
            f"--pwfile={password_file}",
            "--auth-local=reject",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]
        try:
            run_logged(argv, self.log, cwd=self.home, what="initdb of the store's PostgreSQL", user=self.user)
        finally:
            password_file.unlink(missing_ok=True)

    def check_reachable(self) -> None:
        """The server runs as `postgres`: every folder above its data must let others pass through."""
        for folder in self.home.parents:
            if not folder.stat().st_mode & stat.S_IXOTH:
                raise StackError(
                    f"the postgres user cannot reach {self.data}: {folder} is closed to others "
                    f"(chmod o+x {folder}, or clone the repository under a folder others may enter)"
                )

    def start(self) -> None:
        settings = [f"--{name}={value}" for name, value in SERVER_SETTINGS.items()]
        argv = [str(server_binaries(self.log) / "postgres"), "-D", str(self.data), *settings]
        self.proc.spawn(argv, self.home, self.user)
        if not wait_until(lambda: self.accepting() or not self.proc.alive(), 60.0, interval=0.2):
            raise StackError("PostgreSQL did not accept connections within 60 s", [self.log])
        if not self.proc.alive():
            raise StackError("PostgreSQL exited during start-up", [self.log])
        self.setup()

    def accepting(self) -> bool:
        return (
            port_open(PORT)
            and subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", str(PORT)], check=False).returncode == 0
        )

    def setup(self) -> None:
        """FerretDB's database, the index trigger and the write guard; idempotent, so run at every start."""
        env = {"PGPASSWORD": self.password(), "PGCONNECT_TIMEOUT": "10"}
        psql = ["psql", "-h", HOST, "-p", str(PORT), "-U", ROLE, "-v", "ON_ERROR_STOP=1", "-q"]
        run_logged(
            [*psql, "-d", "postgres", "-f", str(CREATE_SQL)], self.log, what="FerretDB's database", env=env
        )
        run_logged([*psql, "-d", DATABASE, "-f", str(SETUP_SQL)], self.log, what="index trigger", env=env)
        run_logged([*psql, "-d", DATABASE, "-f", str(GUARD_SQL)], self.log, what="write guard", env=env)
        # The passwords reach psql through its environment: not on a command line, in a file or a log.
        names = {STORE_ANONYMOUS: "anonymous"}
        passwords = {f"HOTLINE_{names.get(u, u).upper()}_PASSWORD": p for u, p in store_users().items()}
        run_logged(
            [*psql, "-d", DATABASE, "-f", str(USERS_SQL)],
            self.log,
            what="the services' store roles",
            env=env | passwords,
        )
