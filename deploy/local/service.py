"""`python -m deploy.local.service <name>`: one service on the local stack, logged in to Kafka as its own
user (the Procfile's entrypoint; `make run` and the demo start the services through it)."""

import os
import sys

from deploy.local.credentials import kafka_service_env
from services.registry import BY_NAME


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in BY_NAME:
        sys.exit(f"usage: python -m deploy.local.service ({' | '.join(BY_NAME)})")
    env = dict(os.environ)
    if env.get("KAFKA_ADMIN_USERNAME"):  # the stack's own Kafka, which has a user per service
        env |= kafka_service_env(argv[0])
    env.pop("KAFKA_ADMIN_PASSWORD", None)  # a service never holds the admin's password
    os.execve(sys.executable, [sys.executable, "-m", "services", argv[0]], env)


if __name__ == "__main__":
    main(sys.argv[1:])
