"""`python -m deploy.local.service <name>`: one service on the local stack, logged in to Kafka and the
store as its own user (the Procfile's entrypoint; `make run` and the demo start the services through
it)."""

import os
import sys

from deploy.local.credentials import service_env
from deploy.local.stack.kannel import gateway_url
from services.registry import BY_NAME


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in BY_NAME:
        sys.exit(f"usage: python -m deploy.local.service ({' | '.join(BY_NAME)})")
    env = dict(os.environ)
    # The stack's own Kafka and store have a user per service (an external one is left as configured).
    local_store = env["MONGODB_URI"] if env.get("MONGODB_ADMIN_URI") else None
    env |= service_env(argv[0], kafka=bool(env.get("KAFKA_ADMIN_USERNAME")), store_uri=local_store)
    if argv[0] == "notify" and env.get("GATEWAY_KANNEL_PASSWORD"):
        # The stack's own notify asks Kannel for each text's delivery reports, at the stack's gateway.
        base = gateway_url(env["GATEWAY_KANNEL_PASSWORD"], BY_NAME["gateway"].http_port)
        env.setdefault("SMS_REPORT_URL", f"{base}/v1/channels/kannel/dlr")
    for admin in ("KAFKA_ADMIN_PASSWORD", "MONGODB_ADMIN_URI"):  # a service never holds the admin's
        env.pop(admin, None)
    os.execve(sys.executable, [sys.executable, "-m", "services", argv[0]], env)


if __name__ == "__main__":
    main(sys.argv[1:])
