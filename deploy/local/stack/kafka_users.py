"""The local Kafka's users and ACLs: a SCRAM user per service with the grants of
contracts/bus_access.py, for the hub's topics and every province's, applied through the admin API.

Needs the virtualenv (confluent-kafka, whose admin client speaks the user and ACL APIs); the rest of the
stack's command line does not import it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from contracts.bus_access import SERVICES, grants_for
from contracts.provinces import HUB, PROVINCES
from contracts.topics import Topics

from ..credentials import KAFKA_ADMIN, kafka_users
from .processes import StackError

TIMEOUT = 15.0
SCRAM_ITERATIONS = 8192


def wanted_acls() -> list[tuple[str, str, str, str, str, str]]:
    """(principal, resource, name, pattern, operation, permission) for every service and subsystem."""
    rows = []
    for prefix in [HUB, *PROVINCES]:
        for service in SERVICES:
            for grant in grants_for(service, Topics(prefix)):
                rows.append(
                    (
                        f"User:{service}",
                        grant.resource,
                        grant.name,
                        grant.pattern,
                        grant.operation,
                        grant.permission,
                    )
                )
    return sorted(rows)


def _digest(users: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps([users, wanted_acls()]).encode()).hexdigest()


def provision(bootstrap: str, stamp: Path) -> None:
    """Upsert the services' users and create their ACLs, unless `stamp` says this exact set was applied.
    Raises StackError when the broker refuses; ConnectionError while it is not answering yet."""
    users = kafka_users()
    digest = _digest(users)
    if stamp.exists() and stamp.read_text() == digest:
        return
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    admin = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": KAFKA_ADMIN,
            "sasl.password": users[KAFKA_ADMIN],
            "log_level": 3,
        }
    )
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts = [
        UserScramCredentialUpsertion(user, info, password.encode())
        for user, password in users.items()
        if user != KAFKA_ADMIN
    ]
    bindings = [
        AclBinding(
            ResourceType[resource.upper()],
            name,
            ResourcePatternType[pattern.upper()],
            principal,
            "*",
            AclOperation[operation.upper()],
            AclPermissionType[permission.upper()],
        )
        for principal, resource, name, pattern, operation, permission in wanted_acls()
    ]
    try:
        for future in admin.alter_user_scram_credentials(upserts, request_timeout=TIMEOUT).values():
            future.result()
        for future in admin.create_acls(bindings, request_timeout=TIMEOUT).values():
            future.result()
        # A grant taken out of contracts/bus_access.py is taken away from the user too.
        everything = AclBindingFilter(
            ResourceType.ANY,
            None,
            ResourcePatternType.ANY,
            None,
            None,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        held = admin.describe_acls(everything, request_timeout=TIMEOUT).result()
        stale = [b for b in held if b.principal != f"User:{KAFKA_ADMIN}" and b not in bindings]
        if stale:
            exact = [
                AclBindingFilter(
                    b.restype,
                    b.name,
                    b.resource_pattern_type,
                    b.principal,
                    b.host,
                    b.operation,
                    b.permission_type,
                )
                for b in stale
            ]
            for future in admin.delete_acls(exact, request_timeout=TIMEOUT).values():
                future.result()
    except KafkaException as error:
        kafka_error = error.args[0] if error.args else None
        if getattr(kafka_error, "retriable", lambda: False)() or "timed out" in str(error).lower():
            raise ConnectionError(str(error)) from error
        raise StackError(f"the Kafka users and ACLs were refused: {error}") from error
    stamp.write_text(digest)
