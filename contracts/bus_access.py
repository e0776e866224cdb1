"""What each service's Kafka user may do on one subsystem's topics: the ACLs, derived from the topic map.

Least privilege: a service writes only the topics it produces (and the dead-letter topic, if it
consumes), reads only those it consumes, in its own consumer group. It may create the topics it touches
(they are made before first use). The local stack applies these with Kafka's admin API; the Kubernetes
`KafkaUser`s (the Kubernetes issue) are to carry the same list.
"""

from dataclasses import dataclass
from typing import Literal

from contracts.topics import CONSUMERS, PRODUCERS, READ_WHOLE, Topics

SERVICES = ("gateway", "intake", "dispatch", "notify", "qa")

Operation = Literal["Read", "Write", "Describe", "Create"]


@dataclass(frozen=True, order=True)
class Grant:
    resource: Literal["topic", "group"]
    name: str
    pattern: Literal["literal", "prefixed"]
    operation: Operation
    permission: Literal["allow", "deny"] = "allow"


def _topic(
    name: str, *operations: Operation, pattern: Literal["literal", "prefixed"] = "literal"
) -> list[Grant]:
    return [Grant("topic", name, pattern, operation) for operation in operations]


def grants_for(service: str, topics: Topics) -> list[Grant]:
    """The ACLs of `service`'s user in the subsystem whose topics are `topics`, sorted."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    produced = sorted(
        topics.prefix + "." + name for name, producer in PRODUCERS.items() if producer == service
    )
    consumed = sorted(topics.prefix + "." + name for name, readers in CONSUMERS.items() if service in readers)
    whole = sorted(topics.prefix + "." + name for name, readers in READ_WHOLE.items() if service in readers)
    grants: list[Grant] = []
    for topic in produced:
        grants += _topic(topic, "Write", "Describe", "Create")
    for topic in consumed + whole:  # a topic read whole takes no consumer group
        grants += _topic(topic, "Read", "Describe", "Create")
    if consumed:
        grants += _topic(topics.deadletter, "Write", "Describe", "Create")
    grants += [Grant("group", topics.consumer_group(service, topic), "literal", "Read") for topic in consumed]
    if service == "dispatch":
        # Departments' topics are made as the routing table names them: a prefix, with the one topic
        # under it that dispatch only reads (the replies) held back.
        grants += _topic(topics.department_prefix, "Write", "Describe", "Create", pattern="prefixed")
        grants.append(Grant("topic", topics.department_replies, "literal", "Write", "deny"))
    return sorted(set(grants))
